import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

// seq orders the revocation feed; expires_at drives pruning.
@Entity({ name: 'revoked_access_tokens' })
@Index('revoked_access_tokens_seq_key', ['seq'], { unique: true })
@Index('revoked_access_tokens_expires_idx', ['expiresAt'])
export class RevokedAccessToken {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'revoked_access_tokens_pkey' }) jti: string;
  // Drawn from revocation_seq, shared with token_not_before and cache_invalidations.
  @Column({ type: 'bigint', default: () => "nextval('revocation_seq')", insert: false, update: false })
  seq: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('timestamptz', { name: 'revoked_at', default: () => 'now()' }) revokedAt: Date;
  @Column('text', { nullable: true }) reason: string | null;
  // The writing transaction, for the revocation feed's cursor (pg_snapshot_xmin).
  @Index('revoked_access_tokens_xid_idx')
  @Column({ type: 'bigint', default: () => 'current_xid()', insert: false, update: false })
  xid: string;
}
