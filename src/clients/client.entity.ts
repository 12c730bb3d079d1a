import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ClientType = 'public' | 'confidential';

@Entity({ name: 'clients' })
export class Client {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text', { name: 'client_id' }) clientId: string;
  @Column('text') name: string;
  @Column('text') type: ClientType;
  @Column('text', { name: 'secret_hash', nullable: true }) secretHash: string | null;
  @Column('text', { name: 'grant_types', array: true }) grantTypes: string[];
  @Column('text', { array: true }) scopes: string[];
  @Column('text', { nullable: true }) audience: string | null;
  @Column('timestamptz', { name: 'secret_rotated_at', nullable: true }) secretRotatedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
