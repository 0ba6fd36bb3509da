export * from './tracker-messages';
export * from './tracker-workflow';
export * from './tracking-rules';
