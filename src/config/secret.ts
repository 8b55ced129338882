import { inspect } from 'node:util';

/**
 * A credential. Its value is only reachable through reveal(); printing, logging or serializing it
 * (String(), JSON.stringify, util.inspect, pino) gives "[redacted]", so it cannot leak by accident.
 */
export class Secret {
  readonly #value: string;
  /** Where it came from, for messages: `env CLOUDFLARE_API_TOKEN`, `file /run/secrets/cf`, `inline`. */
  readonly origin: string;

  constructor(value: string, origin: string) {
    this.#value = value;
    this.origin = origin;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return `Secret([redacted] from ${this.origin})`;
  }
}
