import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { PasswordHasher } from './password-hasher';
import { User } from './user.entity';
import { usernameKey } from './username';

export interface NewUser {
  tenantId: string;
  username: string;
  password: string;
  scopes: string[];
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly hasher: PasswordHasher,
  ) {}

  findByUsername(tenantId: string, username: string): Promise<User | null> {
    return this.users.findOneBy({ tenantId, usernameKey: usernameKey(username) });
  }

  async insert(input: NewUser, manager?: EntityManager): Promise<User> {
    const repo = manager ? manager.getRepository(User) : this.users;
    const user = repo.create({
      tenantId: input.tenantId,
      username: input.username.normalize('NFKC'),
      usernameKey: usernameKey(input.username),
      passwordHash: await this.hasher.hash(input.password),
      scopes: input.scopes,
    });
    return repo.save(user);
  }
}
