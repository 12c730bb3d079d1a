/** Who a verified access token speaks for, as the guards hand it to routes. */
export interface Principal {
  readonly sub: string;
  readonly tenantId: string;
  readonly tenant: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly jti: string;
}
