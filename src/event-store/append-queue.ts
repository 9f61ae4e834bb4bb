// Group commit for single appends. Every statement pays a round trip and a WAL flush at commit,
// whatever its size, so while a few inserts are in flight the next callers wait and then go
// together, as one statement. An idle queue sends a caller's event at once: grouping only ever
// forms under load, and adds no latency without it.
//
// The queue only schedules; the store decides what a group means for each caller (`send`
// settles every event on its own, so no caller's failure becomes another's).

interface Waiter<E, O> {
  event: E;
  resolve(outcome: O): void;
  reject(error: unknown): void;
}

export class AppendQueue<E extends { id: string }, O> {
  private waiting: Waiter<E, O>[] = [];
  private inFlight = 0;

  constructor(
    private readonly send: (events: E[]) => Promise<PromiseSettledResult<O>[]>,
    /** Statements sent side by side: PostgreSQL flushes their commits together too. */
    private readonly maxInFlight: number,
    private readonly maxGroup: number,
  ) {}

  append(event: E): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const group = this.take();
      this.inFlight++;
      void this.flush(group).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /**
   * The oldest waiters, at most one per id: two events with one id in one statement would
   * leave no way to tell which of them was stored, so a repeated id waits for the next group
   * (where it meets the stored one and is answered as a retry or a conflict).
   */
  private take(): Waiter<E, O>[] {
    const group: Waiter<E, O>[] = [];
    const rest: Waiter<E, O>[] = [];
    const ids = new Set<string>();
    for (const waiter of this.waiting) {
      const id = waiter.event.id.toLowerCase();
      if (group.length < this.maxGroup && !ids.has(id)) {
        ids.add(id);
        group.push(waiter);
      } else rest.push(waiter);
    }
    this.waiting = rest;
    return group;
  }

  private async flush(group: Waiter<E, O>[]): Promise<void> {
    try {
      const results = await this.send(group.map((w) => w.event));
      results.forEach((result, i) => (result.status === 'fulfilled' ? group[i].resolve(result.value) : group[i].reject(result.reason)));
    } catch (error) {
      for (const waiter of group) waiter.reject(error);
    }
  }
}
