import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type TenantStatus = 'active' | 'suspended';

/** Per-tenant overrides; an absent field falls back to the configured default. */
export interface TenantSettings {
  accessTokenTtl?: number;
  refreshTokenTtl?: number;
  refreshIdleTtl?: number;
  refreshReuseGrace?: number;
  quota?: { perSubjectPerMinute?: number; perSubjectPerDay?: number; perTenantPerMinute?: number };
}

// Indexes, checks and defaults mirror migrations/ so TypeORM's schema diff stays empty
// (test/schema-drift.e2e-spec.ts); check expressions are written as Postgres reports them.
@Entity({ name: 'tenants' })
@Index('tenants_slug_key', ['slug'], { unique: true })
@Check('tenants_status_check', "(status = ANY (ARRAY['active'::text, 'suspended'::text]))")
@Check('tenants_slug_format', "(slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'::text)")
export class Tenant {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'tenants_pkey' }) id: string;
  @Column('text') slug: string;
  @Column('text') name: string;
  @Column('text', { default: 'active' }) status: TenantStatus;
  @Column('text', { array: true, default: () => "'{}'" }) scopes: string[];
  @Column('jsonb', { default: () => "'{}'" }) settings: TenantSettings;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt: Date;
  @Column('timestamptz', { name: 'suspended_at', nullable: true }) suspendedAt: Date | null;
}
