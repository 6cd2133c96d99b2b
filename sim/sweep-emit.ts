// `sweep plan --emit slurm|k8s`: a Slurm job-array script or a Kubernetes Indexed Job manifest that
// runs the N shards of a sweep, so that the cluster's own scheduler does the distribution. Each
// array task / pod runs `npm run sweep -- … --shard $INDEX/N` into one shared --out directory; the
// last step (`npm run sweep -- merge DIR`) is printed in the file's comments, and for Slurm it can
// be chained with `sbatch --dependency=afterok:<job id>`.

export interface EmitOptions {
  /** The sweep's own arguments (--grid/--sweep/--set/--config), reproduced in every shard's command. */
  sweepArgs: string[];
  shards: number;
  /** Output directory as seen from the job (shared file system / volume). */
  out: string;
  /** Worker threads per shard (= CPUs requested per task / pod). */
  jobs: number;
  /** Directory holding the tiersim checkout (with `npm ci` done) inside the job. */
  workdir: string;
  name: string;
  points: number;
  /** Slurm: wall-time limit per task, partition. */
  time?: string;
  partition?: string;
  /** Kubernetes: image holding the checkout, and the PersistentVolumeClaim for the output. */
  image?: string;
  pvc?: string;
  memory?: string;
  /** Where the file is written, for the submit line of its comments. */
  file?: string;
}

/** POSIX shell single-quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function emitSlurm(o: EmitOptions): string {
  const args = o.sweepArgs.map(shellQuote).join(' ');
  const lines = [
    '#!/bin/bash',
    `# tiersim sweep "${o.name}": ${o.points} points in ${o.shards} shards (a Slurm job array, one task per shard).`,
    `# Submit:   mkdir -p ${o.out} && jobid=$(sbatch --parsable ${o.file ?? 'THIS_FILE'})     (Slurm opens --output before the script runs)`,
    `# Paths in the sweep arguments are relative to ${o.workdir}.`,
    `# Merge:    sbatch --dependency=afterok:$jobid --wrap 'cd ${o.workdir} && npm run sweep -- merge ${o.out}'`,
    `#           (or, once the array is done: npm run sweep -- merge ${o.out})`,
    '# A task that fails or times out can simply be resubmitted: finished points are skipped.',
    `#SBATCH --job-name=${o.name}`,
    `#SBATCH --array=0-${o.shards - 1}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${o.jobs}`,
    `#SBATCH --time=${o.time ?? '01:00:00'}`,
  ];
  if (o.memory) lines.push(`#SBATCH --mem=${o.memory}`);
  if (o.partition) lines.push(`#SBATCH --partition=${o.partition}`);
  lines.push(
    `#SBATCH --output=${o.out}/slurm-%A_%a.out`,
    'set -euo pipefail',
    `cd ${shellQuote(o.workdir)}`,
    `mkdir -p ${shellQuote(o.out)}`,
    `exec npm run sweep -- ${args} --out ${shellQuote(o.out)} --shard "$SLURM_ARRAY_TASK_ID/${o.shards}" --jobs "\${SLURM_CPUS_PER_TASK:-${o.jobs}}" --resume`,
    '',
  );
  return lines.join('\n');
}

/** YAML scalar: JSON strings are valid YAML flow scalars, so quote with JSON. */
const y = (s: string) => JSON.stringify(s);

export function emitK8s(o: EmitOptions): string {
  const args = o.sweepArgs.map(shellQuote).join(' ');
  const cmd = `mkdir -p ${shellQuote(o.out)} && exec npm run sweep -- ${args} --out ${shellQuote(o.out)} --shard "$JOB_COMPLETION_INDEX/${o.shards}" --jobs ${o.jobs} --resume`;
  const mount = '/results';
  const lines = [
    `# tiersim sweep "${o.name}": ${o.points} points in ${o.shards} shards (a Kubernetes Indexed Job, one pod per shard).`,
    `# Apply:    kubectl apply -f ${o.file ?? 'THIS_FILE'} ; kubectl wait --for=condition=complete job/${o.name} --timeout=24h`,
    `# Merge:    run \`npm run sweep -- merge ${o.out}\` in a pod that mounts the same volume at ${mount}.`,
    `# The image must hold the tiersim checkout at ${o.workdir} with \`npm ci\` done; the PersistentVolumeClaim`,
    '# must be ReadWriteMany so that all pods write into one output directory. A failed pod is retried',
    '# (backoffLimitPerIndex, Kubernetes ≥ 1.29; on older clusters use backoffLimit); a retry skips',
    '# the points already finished.',
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${y(o.name)}`,
    'spec:',
    '  completionMode: Indexed',
    `  completions: ${o.shards}`,
    `  parallelism: ${o.shards}`,
    '  backoffLimitPerIndex: 2',
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    '      containers:',
    '        - name: sweep',
    `          image: ${y(o.image ?? 'tiersim:latest')}`,
    `          workingDir: ${y(o.workdir)}`,
    `          command: ["sh", "-c", ${y(cmd)}]`,
    '          resources:',
    '            requests:',
    `              cpu: ${y(String(o.jobs))}`,
    ...(o.memory ? [`              memory: ${y(o.memory)}`] : []),
    '            limits:',
    `              cpu: ${y(String(o.jobs))}`,
    ...(o.memory ? [`              memory: ${y(o.memory)}`] : []),
    '          volumeMounts:',
    '            - name: results',
    `              mountPath: ${y(mount)}`,
    '      volumes:',
    '        - name: results',
    '          persistentVolumeClaim:',
    `            claimName: ${y(o.pvc ?? 'tiersim-results')}`,
    '',
  ];
  return lines.join('\n');
}
