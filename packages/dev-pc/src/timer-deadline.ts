/**
 * A deadline strictly after `nowNs`: `deadlineNs` itself when it is, else the next representable
 * time after now. The clock fires every timer whose deadline is not after now and a callback
 * re-arms its timer, so a deadline that rounding put at (or before) now would fire again and again
 * in one `runDue` call. Guest time is a double: past 2^53 ns (104 days) neighbouring
 * nanoseconds are no longer distinct, and a computed deadline can round onto now.
 */
export function deadlineAfter(nowNs: number, deadlineNs: number): number {
  if (deadlineNs > nowNs) return deadlineNs;
  return nowNs + Math.max(1, Math.abs(nowNs) * Number.EPSILON * 2);
}
