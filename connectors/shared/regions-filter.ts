import { wildcardMatcher } from '../../src/model/wildcard.ts';

/** Region selection with shell-style wildcards (`eu-*`, `*`); no patterns selects every region. */
export function regionMatcher(patterns: readonly string[] | undefined): (region: string) => boolean {
  return wildcardMatcher(patterns);
}
