import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type TenantStatus = 'active' | 'suspended';

/** Per-tenant overrides; an absent field falls back to the configured default. */
export interface TenantSettings {
  accessTokenTtl?: number;
  refreshTokenTtl?: number;
  refreshIdleTtl?: number;
  refreshReuseGrace?: number;
  quota?: { perSubjectPerMinute?: number; perSubjectPerDay?: number; perTenantPerMinute?: number };
}

@Entity({ name: 'tenants' })
export class Tenant {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') slug: string;
  @Column('text') name: string;
  @Column('text') status: TenantStatus;
  @Column('text', { array: true }) scopes: string[];
  @Column('jsonb') settings: TenantSettings;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('timestamptz', { name: 'suspended_at', nullable: true }) suspendedAt: Date | null;
}
