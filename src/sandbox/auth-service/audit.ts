/** Audit events, written as Obexal writes them (the table is append-only: a trigger rejects UPDATE/DELETE). */
import { randomUUID } from 'node:crypto';
import type { Queryable } from './db.js';

export interface AuditEvent {
  action: string;
  tenantId?: string | null;
  target?: string | null;
  actorUserId?: string | null;
  actorEmail?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  metadata?: Record<string, unknown>;
}

export async function writeAuditEvent(db: Queryable, event: AuditEvent): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (tenant_id, action, target, actor_user_id, actor_email, ip, user_agent, created_at, metadata)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8::jsonb)`,
    [
      event.tenantId ?? null,
      event.action,
      event.target ?? null,
      event.actorUserId ?? null,
      event.actorEmail ?? null,
      event.ip ?? null,
      event.userAgent ?? null,
      JSON.stringify({ request_id: `req_${randomUUID().replaceAll('-', '')}`, ...event.metadata }),
    ],
  );
}
