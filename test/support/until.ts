// Waiting for something that happens in its own time (a projector, a restart, a stall).
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The first value `probe` gives that is not undefined (a throw counts as not yet), or a timeout naming `what`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
