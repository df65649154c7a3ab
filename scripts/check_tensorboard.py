"""Check that TensorBoard itself reads skiplab's event files (RUN_DIR/tb/events.out.tfevents.*).

    python3 -m venv /tmp/tb && /tmp/tb/bin/pip install tensorboard
    /tmp/tb/bin/python scripts/check_tensorboard.py runs/            # any folder of run folders

Loads every run under LOGDIR with TensorBoard's own event multiplexer (the loader behind
`tensorboard --logdir`) and prints, per run, its scalar and histogram tags with their step
counts and last values. Exits 1 if a run has no scalars. Tests need no Python:
test/io/tensorboard.test.ts reads the files back record by record.
"""
import json
import sys

from tensorboard.backend.event_processing.plugin_event_multiplexer import EventMultiplexer

if len(sys.argv) != 2:
    sys.exit('usage: check_tensorboard.py LOGDIR')
multiplexer = EventMultiplexer()
multiplexer.AddRunsFromDirectory(sys.argv[1])
multiplexer.Reload()
bad = 0
for run, tags in sorted(multiplexer.Runs().items()):
    accumulator = multiplexer.GetAccumulator(run)
    series = {tag: accumulator.Tensors(tag) for tag in tags.get("tensors", [])}
    report = {'run': run, 'tags': {}}
    for tag, events in sorted(series.items()):
        last = events[-1]
        shape = list(last.tensor_proto.tensor_shape.dim)
        kind = 'histogram' if shape else 'scalar'
        value = last.tensor_proto.float_val[0] if kind == 'scalar' and last.tensor_proto.float_val else None
        report['tags'][tag] = {'kind': kind, 'steps': len(events), 'last_step': last.step, 'last_value': value,
                               'buckets': shape[0].size if shape else None}
    if not any(t['kind'] == 'scalar' for t in report['tags'].values()):
        bad += 1
    print(json.dumps(report))
sys.exit(1 if bad or not multiplexer.Runs() else 0)
