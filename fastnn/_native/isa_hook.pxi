# Included by every kernel module. Each extension links its own copy of csrc/dispatch.c, so each has
# its own ISA choice; fastnn._native._runtime.isa_force() calls this hook in every module so that
# pinning an ISA path (tests, debugging) applies to the whole process.
from fastnn._native.cfastnn cimport fnn_isa_force as _hook_isa_force, fnn_isa_active as _hook_isa_active


def _isa_force(int level):
    """Pin this module's ISA path (see fastnn._native._runtime.isa_force)."""
    return _hook_isa_force(level)


def _isa_active():
    return _hook_isa_active()
