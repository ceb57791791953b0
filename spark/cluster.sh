#!/usr/bin/env bash
# Runs spark/metrics.py on a standalone Spark cluster on this machine (one
# master, two workers, all on 127.0.0.1), submitted with spark-submit as on
# a real cluster, then stops the cluster. Run once by hand, not in CI.
#
# usage: spark/cluster.sh DATASET OUTDIR
#
# The processes come from the pyspark installation (pip install pyspark);
# each worker offers one core. Logs go to OUTDIR/cluster-logs.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 DATASET OUTDIR" >&2
  exit 2
fi
dataset=$(realpath "$1")
out=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
spark_home=$(python3 -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME=$spark_home
# Master, workers and driver all talk over the loopback interface.
export SPARK_LOCAL_IP=127.0.0.1
logs=$out/cluster-logs
mkdir -p "$logs"

master_port=7077
master=spark://127.0.0.1:$master_port
pids=()
stop() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop EXIT

"$spark_home/bin/spark-class" org.apache.spark.deploy.master.Master \
  --host 127.0.0.1 --port "$master_port" --webui-port 8080 >"$logs/master.log" 2>&1 &
pids+=($!)
# The master is up when it accepts connections.
for _ in $(seq 60); do
  if (exec 3<>/dev/tcp/127.0.0.1/$master_port) 2>/dev/null; then break; fi
  sleep 1
done
for i in 1 2; do
  "$spark_home/bin/spark-class" org.apache.spark.deploy.worker.Worker \
    --host 127.0.0.1 --cores 1 --memory 2g --webui-port $((8080 + i)) \
    --work-dir "$logs/worker-$i" "$master" >"$logs/worker-$i.log" 2>&1 &
  pids+=($!)
done
# Two workers registered, or the job would wait for executors.
for _ in $(seq 60); do
  if [ "$(grep -c 'Registering worker' "$logs/master.log" || true)" -ge 2 ]; then break; fi
  sleep 1
done

start=$(date +%s.%N)
"$spark_home/bin/spark-submit" --master "$master" --total-executor-cores 2 --executor-memory 2g \
  --conf spark.sql.shuffle.partitions=4 \
  "$here/metrics.py" "$dataset" "$out"
end=$(date +%s.%N)
echo "spark job on the standalone cluster (1 master, 2 workers): $(echo "$end - $start" | bc) s"
