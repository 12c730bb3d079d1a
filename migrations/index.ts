import { InitialSchema1763798400000 } from './1763798400000-InitialSchema';
import { RevocationLog1764547200000 } from './1764547200000-RevocationLog';
import { RevocationFeed1764633600000 } from './1764633600000-RevocationFeed';
import { CredentialControls1764720000000 } from './1764720000000-CredentialControls';
import { UsersListIndex1764806400000 } from './1764806400000-UsersListIndex';
import { UsersPrefixIndex1764892800000 } from './1764892800000-UsersPrefixIndex';

/** Every migration, oldest first. A new migration is added here as well as to this folder. */
export const MIGRATIONS = [InitialSchema1763798400000, RevocationLog1764547200000, RevocationFeed1764633600000, CredentialControls1764720000000, UsersListIndex1764806400000, UsersPrefixIndex1764892800000];
