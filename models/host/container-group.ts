/**
 * Models: the container group a customer deploys (an ACI container group / a Kubernetes pod: the
 * pause container plus workload containers), as the host-side stack knows it before it talks to
 * the guest: which image (layer root hashes), command, environment, working directory, user,
 * capabilities, mounts, and the probes and signals it will send.
 * Real counterpart: the ARM container-group definition as ACI's CRI layer turns it into
 * containerd's container configs (and confcom turns it into the policy).
 * Differs: images are named by their dm-verity root hashes directly; the user is the OCI
 * `User.Username` text that containerd forwards for LCOW (resolved in the guest).
 * Invariants: plain, readonly data; the sandbox (pause) container comes first; a container the
 * host cannot deploy as written carries the reason instead of a made-up configuration.
 */
import type { Hex } from '../../sim/kernel/bytes.js';

export type CapabilitySetsSpec = Readonly<{
  bounding: readonly string[];
  effective: readonly string[];
  inheritable: readonly string[];
  permitted: readonly string[];
  ambient: readonly string[];
}>;

/** An OCI mount as the host puts it in the spec (`sandbox://` sources resolved by the guest). */
export type OciMountSpec = Readonly<{
  destination: string;
  type: string;
  source: string;
  options: readonly string[];
}>;

export type GroupContainer = Readonly<{
  name: string;
  /** The pod's sandbox (pause) container. */
  sandbox: boolean;
  /** dm-verity root hashes of the image's layers, base first. */
  layers: readonly Hex[];
  /** argv; null when the group names none (the image default, which a policy cannot match). */
  command: readonly string[] | null;
  env: readonly string[];
  workingDir: string;
  /** OCI Process.User.Username as containerd forwards it for LCOW ("" = the image default). */
  username: string;
  /** The user and group the image's /etc/passwd and /etc/group must resolve `username` to. */
  account: Readonly<{ user: string; uid: number; group: string; gid: number }>;
  capabilities: CapabilitySetsSpec;
  noNewPrivileges: boolean;
  privileged: boolean;
  mounts: readonly OciMountSpec[];
  /** Commands the host runs in the container once it is up (liveness/readiness probes). */
  execProbes: readonly (readonly string[])[];
  /** Signals the policy lets the host send the init process (the teardown sends SIGTERM). */
  signals: readonly number[];
  /** Why this container cannot be deployed as written, or null. */
  notDeployable: string | null;
}>;

export type ContainerGroup = Readonly<{ containers: readonly GroupContainer[] }>;
