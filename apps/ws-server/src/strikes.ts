/**
 * Requests refused for rate (RATE_LIMITED) held against a connection. Each refusal adds one; the count
 * decays continuously at the connection's rate (`decayPerSec`) instead of resetting on an accepted
 * request, so a peer mixing one accepted frame with many refused ones still reaches the limit, while
 * one that keeps to the rate after a burst is forgiven.
 */
export class Strikes {
  private count = 0;
  private last: number;

  constructor(
    private readonly decayPerSec: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = now();
  }

  /** Adds one refusal; returns the count after decay. */
  add(): number {
    const now = this.now();
    this.count = Math.max(0, this.count - ((now - this.last) / 1000) * this.decayPerSec) + 1;
    this.last = now;
    return this.count;
  }
}
