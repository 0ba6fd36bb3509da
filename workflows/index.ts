export { smokeWorkflow } from './smoke-workflow';
export { orchestratorWorkflow } from './orchestrator/orchestrator-workflow';
export { shardWorkflow } from './orchestrator/shard-workflow';
export { symbolWorkflow } from './symbol/symbol-workflow';
export { riskWorkflow } from './risk/risk-workflow';
export { pairDiscoveryWorkflow } from './scanner/discovery-workflow';
export { spreadEngineWorkflow } from './scanner/engine-workflow';
export { spreadTrackerWorkflow } from './scanner/tracker/tracker-workflow';
