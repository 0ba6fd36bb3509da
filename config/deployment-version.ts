import { z } from 'zod';

const RULE =
  "must be <deployment>.<build id>, e.g. keel.2026-12-03 (deployment: letters, digits, '-' or '_'; build id: those and '.' or '+')";

/**
 * A worker deployment version (Temporal worker versioning) as operators write it: `keel.2026-12-03`, the
 * deployment's name, a dot, and the build's id. The same string `temporal worker deployment` commands take
 * apart as --deployment-name and --build-id.
 */
export const DeploymentVersionSchema = z
  .string()
  .max(255, 'must be at most 255 characters')
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_.+-]+$/, RULE)
  .transform((value) => {
    const dot = value.indexOf('.');
    return { deploymentName: value.slice(0, dot), buildId: value.slice(dot + 1) };
  });
export type DeploymentVersion = z.output<typeof DeploymentVersionSchema>;

export const formatDeploymentVersion = (version: DeploymentVersion) =>
  `${version.deploymentName}.${version.buildId}`;
