export * from './leg-index';
export * from './settings';
export * from './spread-engine';
export * from './staleness';
export * from './topology';
