// The live stream (owns: GET /stream connections). Every server follows the log itself — the log
// is the source of truth, so a client of any server sees every event, gap-free and in order —
// and after each page it diffs the stance cells of the actors that page touched.
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { EventStore, type StoredEvent } from '../event-store/event-store.js';
import { represent } from '../events/event-representation.js';
import { NOW } from '../projections/evidence.js';
import type { StanceCell } from '../projections/positions/positions.view.js';
import { DocStore } from '../projections/projector/doc-store.js';
import { ReadModels } from '../projections/read-models.js';
import { DataSource } from 'typeorm';

export interface StreamFilter {
  actor?: string;
  issue?: string;
  type?: string;
}

const POLL_MS = 250;
const HEARTBEAT_MS = 15_000;
/** A client this far behind is cut off rather than allowed to grow the server's memory. */
const MAX_BUFFERED_BYTES = 1 << 20;

@Injectable()
export class StreamService implements BeforeApplicationShutdown {
  private readonly open = new Set<ServerResponse>();
  private readonly docs: DocStore;

  constructor(
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(ReadModels) private readonly read: ReadModels,
    @Inject(DataSource) db: DataSource,
  ) {
    this.docs = new DocStore(db);
  }

  /** Streams to `res` from after `cursor` (a log position) until the client goes away. */
  async serve(res: ServerResponse, cursor: number | undefined, filter: StreamFilter): Promise<void> {
    this.open.add(res);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': standpoint stream\n\n');
    let closed = false;
    res.on('close', () => {
      closed = true;
      this.open.delete(res);
    });
    const send = (frame: string) => {
      if (closed) return;
      res.write(frame);
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.write('event: error\ndata: {"detail":"too far behind; reconnect with Last-Event-ID"}\n\n');
        res.destroy();
      }
    };

    let after = cursor ?? (await this.store.fencedHeadPosition());
    const cells = new Map<string, Record<string, StanceCell>>();
    const dirty = new Map<string, number>(); // actor → position its cells must reflect
    let lastBeat = Date.now();
    while (!closed) {
      const page = await this.store.read({ after, limit: 500 }).catch(() => [] as StoredEvent[]);
      for (const e of page) {
        after = e.position;
        if (!matches(e, filter)) continue;
        send(`id: ${e.position}\nevent: appended\ndata: ${JSON.stringify(represent(e))}\n\n`);
        for (const actor of (e.metadata.actors as string[] | undefined) ?? []) if (!filter.actor || actor === filter.actor) dirty.set(actor, e.position);
      }
      if (dirty.size) await this.sendChangedCells(dirty, cells, filter, send).catch(() => undefined);
      if (Date.now() - lastBeat > HEARTBEAT_MS) {
        send(': heartbeat\n\n');
        lastBeat = Date.now();
      }
      if (page.length < 500) await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Once positions reflect an actor's latest event, send each stance cell that changed. */
  private async sendChangedCells(dirty: Map<string, number>, cells: Map<string, Record<string, StanceCell>>, filter: StreamFilter, send: (frame: string) => void) {
    const projected = await this.docs.activeCheckpoint(['positions']);
    for (const [actor, position] of dirty) {
      if (projected < position) continue;
      dirty.delete(actor);
      const now = await this.read.position(actor, NOW, 1);
      const before = cells.get(actor) ?? {};
      for (const [issue, cell] of Object.entries(now.stances)) {
        if (filter.issue && issue !== filter.issue) continue;
        if (JSON.stringify(before[issue]) === JSON.stringify(cell)) continue;
        send(`event: position\ndata: ${JSON.stringify({ actor, issue, cell, position: projected })}\n\n`);
      }
      cells.set(actor, now.stances);
    }
  }

  /** Before the HTTP server closes, or it would wait on these connections for ever. */
  beforeApplicationShutdown(): void {
    for (const res of this.open) res.end();
    this.open.clear();
  }
}

function matches(e: StoredEvent, filter: StreamFilter): boolean {
  if (filter.type && e.type !== filter.type) return false;
  if (filter.actor && !((e.metadata.actors as string[] | undefined) ?? []).includes(filter.actor)) return false;
  if (filter.issue && !((e.metadata.issues as string[] | undefined) ?? []).includes(filter.issue)) return false;
  return true;
}
