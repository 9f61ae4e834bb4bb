// Wires the capabilities together; everything the app needs arrives through forRoot.
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ApiKeys } from './auth/api-keys.js';
import { AuthGuard } from './auth/auth.guard.js';
import { StreamTokens } from './auth/stream-token.js';
import { CONFIG, type Config } from './config/config.js';
import { EventStore, READ_EVENT_STORE } from './event-store/event-store.js';
import { AppendEventsHandler } from './events/append-events.command.js';
import { EventsController } from './events/events.controller.js';
import { GetEventHandler, GetEventsHandler } from './events/read-events.query.js';
import { HealthController } from './http/health.controller.js';
import { KnownQueryGuard } from './http/known-query.guard.js';
import { MinPositionGuard } from './http/min-position.guard.js';
import { READ_DB } from './database/read-database.js';
import { ProblemFilter } from './http/problem.filter.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { Metrics } from './metrics/metrics.service.js';
import { AdminController } from './projections/admin/admin.controller.js';
import { AgreementsController } from './projections/agreements/agreements.controller.js';
import { AgreementsReader } from './projections/agreements/agreements.reader.js';
import { PositionsController } from './projections/positions/positions.controller.js';
import { PositionsReader } from './projections/positions/positions.reader.js';
import { ProjectionStates, READ_DOC_STORE } from './projections/projection-states.js';
import { DocStore } from './projections/projector/doc-store.js';
import { DATABASE_URL, Projector } from './projections/projector/projector.service.js';
import { ProposalsController } from './projections/proposals/proposals.controller.js';
import { ProposalsReader } from './projections/proposals/proposals.reader.js';
import { StatusController } from './projections/status/status.controller.js';
import { StatusReader } from './projections/status/status.reader.js';
import { TimelineController } from './projections/timeline/timeline.controller.js';
import { TimelineReader } from './projections/timeline/timeline.reader.js';
import { RegistryController } from './registry/registry.controller.js';
import { RegistryService } from './registry/registry.service.js';
import { StreamController } from './stream/stream.controller.js';
import { StreamService } from './stream/stream.service.js';

export interface AppDependencies {
  config: Config;
  dataSource: DataSource;
  /** Where reads go: a hot standby (READ_DATABASE_URL), else the primary (`dataSource`). */
  readDataSource?: DataSource;
  databaseUrl: string;
  apiKeys: ApiKeys;
  /** Controllers beside the API's (the benchmarks' baseline route: bench/baseline-server.ts). */
  extraControllers?: Type[];
}

@Module({})
export class AppModule {
  static forRoot(deps: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      controllers: [
        EventsController, PositionsController, AgreementsController, ProposalsController, TimelineController, StatusController, RegistryController, HealthController, AdminController, StreamController, MetricsController,
        ...(deps.extraControllers ?? []),
      ],
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: DataSource, useValue: deps.dataSource },
        { provide: READ_DB, useValue: deps.readDataSource ?? deps.dataSource },
        { provide: READ_EVENT_STORE, useFactory: (db: DataSource) => new EventStore(db), inject: [READ_DB] },
        { provide: DATABASE_URL, useValue: deps.databaseUrl },
        { provide: ApiKeys, useValue: deps.apiKeys },
        { provide: StreamTokens, useFactory: (keys: ApiKeys) => new StreamTokens(keys), inject: [ApiKeys] },
        { provide: EventStore, useFactory: (db: DataSource) => new EventStore(db), inject: [DataSource] },
        { provide: DocStore, useFactory: (db: DataSource) => new DocStore(db), inject: [DataSource] },
        { provide: READ_DOC_STORE, useFactory: (db: DataSource) => new DocStore(db), inject: [READ_DB] },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: KnownQueryGuard },
        { provide: APP_GUARD, useClass: MinPositionGuard },
        RegistryService,
        StreamService,
        Metrics,
        ProjectionStates,
        PositionsReader,
        ProposalsReader,
        AgreementsReader,
        TimelineReader,
        StatusReader,
        Projector,
        AppendEventsHandler,
        GetEventsHandler,
        GetEventHandler,
      ],
    };
  }
}
