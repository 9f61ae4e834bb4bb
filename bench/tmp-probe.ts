import { loadHistory, percentile, postgresServer, settled, startBench } from './harness.js';
const pgServer = await postgresServer();
const bench = await startBench(pgServer.url);
try {
  await loadHistory(bench, 100_000);
  await settled(bench.db);
  const time = async (route: string) => {
    const s: number[] = [];
    let size = 0;
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      const r = await fetch(`${bench.server.url}${route}`);
      size = (await r.text()).length;
      s.push(performance.now() - t);
    }
    console.log(route, 'p50', percentile(s, 50).toFixed(1), 'size', size);
  };
  await time('/health');
  await time('/positions/hamas/history?issue=negotiations&asOf=2024-06-01T00:00:00Z');
  await time('/positions/hamas?asOf=2024-06-01T00:00:00Z');
  await time('/positions/hamas?asOf=2024-01-01T00:00:00Z&knownAt=2024-01-03T00:00:00Z');
  await time('/positions/hamas');
  await time('/positions');
  console.log('rss MB', Math.round(process.memoryUsage().rss / 2 ** 20));
} finally {
  await bench.stop();
  await pgServer.stop();
}
