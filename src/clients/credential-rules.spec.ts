import { InvalidInputError } from '../common/domain-errors';
import { checkGrantTypes } from './credential-rules';

describe('checkGrantTypes', () => {
  it('keeps client_credentials for confidential clients', () => {
    expect(() => checkGrantTypes('confidential', ['client_credentials', 'password'])).not.toThrow();
    expect(() => checkGrantTypes('public', ['password', 'refresh_token'])).not.toThrow();
    expect(() => checkGrantTypes('public', ['client_credentials'])).toThrow(
      new InvalidInputError('client_credentials needs a confidential client', 'grantTypes'),
    );
  });
});
