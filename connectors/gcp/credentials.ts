import { GoogleAuth, PassThroughClient } from 'google-auth-library';

// Listing needs nothing more than read access to compute.
const READ_ONLY_SCOPE = 'https://www.googleapis.com/auth/compute.readonly';

/**
 * How the compute clients authenticate. Against a fake (`endpoint` set): no credentials at all
 * (PassThroughClient: no ADC lookup, and a real token can never leak to a test server). Against Google:
 * one GoogleAuth, shared by every client, running the Application Default Credentials chain with the
 * read-only scope.
 */
export function computeAuth(endpoint: string | undefined): { authClient: PassThroughClient } | { auth: GoogleAuth } {
  return endpoint !== undefined ? { authClient: new PassThroughClient() } : { auth: new GoogleAuth({ scopes: [READ_ONLY_SCOPE] }) };
}
