/**
 * Where the account workflow is in a venue's funding history: payments settled at or after `since` are
 * read each round; `toldAtCursor` names those at exactly `since` already told, so a venue that returns
 * them again (the read is inclusive) does not get them told twice. Pure.
 */
export interface FundingCursor {
  since: number;
  toldAtCursor: string[];
}

/** The payments not told yet, and the cursor once they are. */
export function advanceFundingCursor<P extends { id: string; at: number }>(
  cursor: FundingCursor,
  read: readonly P[],
): { fresh: P[]; next: FundingCursor } {
  const fresh = read.filter(
    (payment) =>
      payment.at > cursor.since || (payment.at === cursor.since && !cursor.toldAtCursor.includes(payment.id)),
  );
  if (fresh.length === 0) return { fresh, next: cursor };
  const latest = Math.max(...fresh.map((payment) => payment.at));
  const atLatest = fresh.filter((payment) => payment.at === latest).map((payment) => payment.id);
  return {
    fresh,
    next: {
      since: latest,
      toldAtCursor: latest === cursor.since ? [...cursor.toldAtCursor, ...atLatest] : atLatest,
    },
  };
}
