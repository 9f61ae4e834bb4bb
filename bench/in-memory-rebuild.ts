// A process that keeps read models in memory, as the redesign bench/README.md weighs would.
// Started by long-history.ts from the build (dist/bench), with the server's node flags, it
// folds the log into one generation of documents in a worker thread, then a second beside it
// (a rebuild that keeps answering from the old one holds both), then ends the old one's
// thread, the most such a design could give back after a rebuild. It reports its own RSS at
// each step, so what the generations cost is read apart from the benchmark's own memory.
// Timed is the second fold: the rebuild.
import { Worker } from 'node:worker_threads';
import type { InMemoryRebuild } from './in-memory-rebuild.worker.js';

export interface InMemoryRebuildReport extends InMemoryRebuild {
  /** This process's RSS: with nothing loaded, with one generation, with two, after the rebuild. */
  rssMiB: { empty: number; oneGeneration: number; duringRebuild: number; afterRebuild: number };
}

const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const url = process.env.FOLD_DATABASE_URL!;

function foldInWorker(): Promise<{ thread: Worker; result: InMemoryRebuild }> {
  const thread = new Worker(new URL('./in-memory-rebuild.worker.js', import.meta.url), { workerData: { url } });
  return new Promise((resolve, reject) => {
    thread.once('message', (result: InMemoryRebuild) => resolve({ thread, result }));
    thread.once('error', reject);
  });
}

const empty = rss();
const old = await foldInWorker();
const oneGeneration = rss();
const rebuilt = await foldInWorker();
const duringRebuild = rss();
await old.thread.terminate();
await new Promise((resolve) => setTimeout(resolve, 500));
const report: InMemoryRebuildReport = { ...rebuilt.result, rssMiB: { empty, oneGeneration, duringRebuild, afterRebuild: rss() } };
await rebuilt.thread.terminate();
process.send!(report, () => process.exit(0));
