"""Run every benchmark script in bench/ in turn (each prints its own result lines)."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for script in sorted(HERE.glob("*.py")):
    if script.name in ("common.py", "run_all.py"):
        continue
    print(f"### {script.name}", flush=True)
    subprocess.run([sys.executable, str(script)], cwd=HERE, check=False)
