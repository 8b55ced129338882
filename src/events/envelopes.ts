import { parseEvent as aws } from '../../connectors/aws/envelope.ts';
import { parseEvent as gcp } from '../../connectors/gcp/envelope.ts';
import { parseEvent as azure } from '../../connectors/azure/envelope.ts';
import { parseEvent as oci } from '../../connectors/oci/envelope.ts';
import type { EnvelopeParsers } from './webhook-envelopes.ts';

/**
 * Each vendor's parser of its own event envelope (connectors/<vendor>/envelope.ts), for the webhook,
 * which receives every vendor's events; the queue sources call their own directly.
 */
export const ENVELOPE_PARSERS: EnvelopeParsers = { aws, gcp, azure, oci };
