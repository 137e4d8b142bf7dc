"""What the Parquet writer's tests share: the function's folder and modules, imported as Lambda imports them."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

FUNCTION_DIR = Path(__file__).resolve().parents[2] / "functions" / "parquet_writer"
BUCKET = "data-bucket"


def load_like_lambda(name: str, *modules: str) -> tuple[ModuleType, ...]:
    """Import app.py as Lambda does (its folder is the import root, its modules top level), then ``modules``.

    The folder leaves sys.path again afterwards so that other functions' tests cannot pick up these modules.
    """
    sys.path.insert(0, str(FUNCTION_DIR))
    try:
        spec = importlib.util.spec_from_file_location(name, FUNCTION_DIR / "app.py")
        app = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(app)
        return app, *(importlib.import_module(module) for module in modules)
    finally:
        sys.path.remove(str(FUNCTION_DIR))
