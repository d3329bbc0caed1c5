"""Declaring the classes of a saved model that are not in ``keras.layers`` (``custom_layers:``).

Without importing anything (the default, and always for ``check``) a class
gets a declaration marked *unverified*: Keras's own default for a layer
(``supports_masking: false``), written with a comment that says so. The
rest of the model is converted and checked as usual. With ``--allow-import``
the class is read instead (``graphmask.keras.inspect_custom``).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

_IMPORT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def import_path(class_name: str, layer: Mapping[str, Any]) -> str:
    """``module:Class`` as the config names it (``__main__`` when the class was defined in a script)."""
    module = str(layer.get("module") or "")
    return f"{module if _IMPORT_RE.match(module) else '__main__'}:{class_name}"


class CustomLayers:
    """Writes one ``custom_layers:`` declaration per class; subclasses decide the mask behaviour."""

    def declare(self, class_name: str, layer: Mapping[str, Any], result: Any, where: tuple) -> None:
        declared = result.spec.setdefault("custom_layers", {})
        if class_name in declared:
            return
        path = import_path(class_name, layer)
        mask, how = self.mask_of(class_name, path)
        declared[class_name] = {"import": path, "mask": mask}
        result.comments[("custom_layers", class_name)] = how
        if how.startswith("unverified"):
            result.assumptions.append(f"custom layer `{class_name}` ({path}): {how}")

    def declare_args(self, class_name: str, args: Mapping[str, Any], result: Any) -> None:
        """Add the constructor arguments a call's config uses to the class's ``args:`` (so GM104 checks them).

        A saved config holds exactly what ``from_config`` passes to the constructor, so each of its keys is
        an argument the class takes.
        """
        declaration = result.spec["custom_layers"][class_name]
        names = sorted(set(declaration.get("args", [])) | set(args))
        if names:
            declaration["args"] = names

    def mask_of(self, class_name: str, path: str) -> tuple[dict[str, Any], str]:
        """(the ``mask:`` declaration, the comment saying where it comes from)."""
        top = path.split(":", 1)[0].split(".")[0]
        return {"supports_masking": False}, (
            f"unverified: Keras's default for a layer (no masking) is assumed; review "
            f"`custom_layers.{class_name}.mask`, or import with --allow-import {top} to read the class")
