export * from '../../packages/verifier/src/route-policy';
