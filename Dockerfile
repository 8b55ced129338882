# syntax=docker/dockerfile:1
# origin-region-sync: Node 24 LTS runs the TypeScript sources directly (type stripping): no build output,
# the image holds the sources and the production dependencies, and runs as the unprivileged "node" user.
# The base is pinned to a Node release (the one CI tests with) so a rebuild does not change the runtime;
# bump the three FROM lines together. test/deploy/dockerfile.test.ts checks these rules.

FROM node:24.22.3-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Every dependency, for the type check below; install scripts are not needed by anything we use.
RUN npm ci --no-audit --no-fund --ignore-scripts

FROM deps AS check
COPY tsconfig.json eslint.config.js vitest.config.ts ./
COPY bin ./bin
COPY src ./src
COPY connectors ./connectors
COPY config ./config
COPY test ./test
COPY bench ./bench
RUN npm run typecheck

FROM node:24.22.3-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM node:24.22.3-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json ./
COPY --from=check --chown=root:root /app/bin ./bin
COPY --from=check --chown=root:root /app/src ./src
COPY --from=check --chown=root:root /app/connectors ./connectors
COPY --from=check --chown=root:root /app/config ./config
USER node
EXPOSE 9464
# Liveness only: readiness (/readyz) belongs to the orchestrator's readiness probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.ORS_HEALTH_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# A young generation of 2 × 8 MB instead of V8's 2 × 64 MB for a 4 GB heap: discovery's SDK parses (tens of
# MB of short-lived objects a page) otherwise keep that much resident; about 70 MB less peak RSS at no
# measurable CPU (README: Benchmarks). bin/origin-region-sync.js and `npm run bench` run with the same flag.
ENTRYPOINT ["node", "--max-semi-space-size=8", "bin/origin-region-sync.js"]
CMD ["run", "--config", "/config/origin-region-sync.yaml"]
