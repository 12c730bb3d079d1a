import { InitialSchema1763798400000 } from './1763798400000-InitialSchema';

/** Every migration, oldest first. A new migration is added here as well as to this folder. */
export const MIGRATIONS = [InitialSchema1763798400000];
