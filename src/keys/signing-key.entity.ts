import { Column, Entity, PrimaryColumn } from 'typeorm';

export type SigningKeyState = 'next' | 'current' | 'retired' | 'revoked';

@Entity({ name: 'signing_keys' })
export class SigningKey {
  @PrimaryColumn('text') kid: string;
  @Column('text') alg: string;
  @Column('text') state: SigningKeyState;
  @Column('jsonb', { name: 'public_jwk' }) publicJwk: Record<string, string>;
  @Column('bytea', { name: 'private_key_ciphertext' }) privateKeyCiphertext: Buffer;
  @Column('text', { name: 'kek_id' }) kekId: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'published_at' }) publishedAt: Date;
  @Column('timestamptz', { name: 'activated_at', nullable: true }) activatedAt: Date | null;
  @Column('timestamptz', { name: 'retired_at', nullable: true }) retiredAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('timestamptz', { name: 'remove_after', nullable: true }) removeAfter: Date | null;
}
