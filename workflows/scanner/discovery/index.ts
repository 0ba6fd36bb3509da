/** Pair discovery's pure core (see docs/scanner.md): sources and directions, universe, screens, diff. */
export * from './discover';
export * from './price-agreement';
export * from './settings';
export * from './snapshot-diff';
export * from './sources';
export * from './stream-validation';
export * from './universe';
