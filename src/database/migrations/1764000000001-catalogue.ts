import type { MigrationInterface, QueryRunner } from 'typeorm';
import { BUILTIN_ACTORS, BUILTIN_ISSUES } from '../../catalogue/builtins.js';

/** Registries of actors and issues, and the lookups that check an event's references. */
export class Catalogue1764000000001 implements MigrationInterface {
  name = 'Catalogue1764000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE actors (
        seq bigserial, slug text PRIMARY KEY, name text NOT NULL, role text NOT NULL CHECK (role IN ('party', 'mediator')),
        builtin boolean NOT NULL DEFAULT false, registered_at timestamptz NOT NULL DEFAULT now(), registered_by text
      )`);
    await q.query(`
      CREATE TABLE issues (
        seq bigserial, slug text PRIMARY KEY, name text NOT NULL, description text,
        builtin boolean NOT NULL DEFAULT false, registered_at timestamptz NOT NULL DEFAULT now(), registered_by text
      )`);
    for (const a of BUILTIN_ACTORS) {
      await q.query(`INSERT INTO actors (slug, name, role, builtin) VALUES ($1, $2, $3, true)`, [a.slug, a.name, a.role]);
    }
    for (const i of BUILTIN_ISSUES) {
      await q.query(`INSERT INTO issues (slug, name, description, builtin) VALUES ($1, $2, $3, true)`, [i.slug, i.name, i.description]);
    }
    await q.query(`CREATE INDEX events_proposal_id ON events ((data->>'proposalId')) WHERE type = 'ProposalMade'`);
    await q.query(`CREATE INDEX events_agreement_id ON events ((data->>'agreementId')) WHERE type = 'AgreementReached'`);
    await q.query(`CREATE INDEX events_target_id ON events ((data->>'eventId')) WHERE type IN ('SourceAdded', 'ReportRetracted')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX events_proposal_id; DROP INDEX events_agreement_id; DROP INDEX events_target_id`);
    await q.query(`DROP TABLE actors; DROP TABLE issues`);
  }
}
