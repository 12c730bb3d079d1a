import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type SigningKeyState = 'next' | 'current' | 'retired' | 'revoked';

// At most one signing key and one pre-published key at any time. Expressions are written as
// Postgres reports them, so they compare equal to the migrated schema.
@Entity({ name: 'signing_keys' })
@Index('signing_keys_one_current', ['state'], { unique: true, where: "(state = 'current'::text)" })
@Index('signing_keys_one_next', ['state'], { unique: true, where: "(state = 'next'::text)" })
@Check(
  'signing_keys_state_check',
  "(state = ANY (ARRAY['next'::text, 'current'::text, 'retired'::text, 'revoked'::text]))",
)
export class SigningKey {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'signing_keys_pkey' }) kid: string;
  @Column('text') alg: string;
  @Column('text') state: SigningKeyState;
  @Column('jsonb', { name: 'public_jwk' }) publicJwk: Record<string, string>;
  @Column('bytea', { name: 'private_key_ciphertext' }) privateKeyCiphertext: Buffer;
  @Column('text', { name: 'kek_id' }) kekId: string;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { name: 'published_at', default: () => 'now()' }) publishedAt: Date;
  @Column('timestamptz', { name: 'activated_at', nullable: true }) activatedAt: Date | null;
  @Column('timestamptz', { name: 'retired_at', nullable: true }) retiredAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('timestamptz', { name: 'remove_after', nullable: true }) removeAfter: Date | null;
}
