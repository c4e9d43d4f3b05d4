"""A function known by what it computes, for the atom-map caches' keys: its code (not where it was
written), its constants, and what it reads (its defaults, closure, a partial's arguments and the
globals of the user's own code), each by content; installed packages by their version. joblib's
hash knows a function by its name only, so an edited mapper kept serving its old maps."""

from __future__ import annotations

import dis
import re
import sys
import types
from enum import Enum
from functools import cache, cached_property, partial, partialmethod, singledispatch, singledispatchmethod
from importlib.metadata import PackageNotFoundError, packages_distributions, version

__all__ = ["code_parts", "function_key", "script_as_main"]


def function_key(function: types.FunctionType) -> tuple:
    """What ``function`` computes and reads, as a tuple for ``joblib.hash``: the same for the same
    code and values in any process, another after an edit of it or of a helper it reads."""
    return _global_part(function, function.__module__, set())  # (a single-dispatch mapper too)


def code_parts(code: types.CodeType) -> tuple:
    """What a code object computes, without where it was written (file and line numbers change
    with every notebook kernel and every edit above the function)."""
    consts = tuple(code_parts(c) if isinstance(c, types.CodeType) else _constant(c) for c in code.co_consts)
    return (code.co_code, code.co_names, code.co_varnames, code.co_freevars, code.co_argcount,
            code.co_kwonlyargcount, code.co_flags, consts)  # fmt: skip


_SCALARS = (type(None), type(Ellipsis), bool, int, float, complex, str, bytes)


def _constant(value: object) -> object:
    """A constant (a number, string, bytes, None, or a tuple or frozenset of them) as a key part
    that is the same in every process (a frozenset's order is not); TypeError for anything else."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, tuple):
        return tuple(_constant(v) for v in value)
    if isinstance(value, frozenset):
        return ("frozenset", tuple(sorted(repr(_constant(v)) for v in value)))
    raise TypeError(f"not a constant: {type(value).__name__}")


def _globals_read(code: types.CodeType) -> set[str]:
    """The global names a code object (and the code nested in it) reads and does not assign: what
    it assigns (``global model; model = load()``) is its state, not what it computes."""
    read, written = set(), set()
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            read.add(instruction.argval)
        elif instruction.opname in ("STORE_GLOBAL", "DELETE_GLOBAL"):
            written.add(instruction.argval)
    nested = (_globals_read(c) for c in code.co_consts if isinstance(c, types.CodeType))
    return read.union(*nested) - written


def _function_parts(function: types.FunctionType, seen: set[int], walked: bool = False) -> tuple:
    """What a function computes, for the cache key: its code, defaults and closure (by content;
    ``walked``, a method of a class or an implementation of a dispatcher, which the mapper does not
    name: see ``_held``), and the globals it reads (see ``_global_part``)."""
    if id(function) in seen:  # a recursive helper, or one called twice
        return ("seen", function.__qualname__)
    seen.add(id(function))
    module = function.__module__
    read = {
        name: _global_part(function.__globals__[name], module, seen)
        for name in sorted(_globals_read(function.__code__))
        if name in function.__globals__
    }
    cells = [cell.cell_contents for cell in function.__closure__ or ()]
    defaults = function.__defaults__ or ()
    keywords = sorted((function.__kwdefaults__ or {}).items())
    held = (
        [_held(value, module, seen, walked) for value in defaults],
        [(name, _held(value, module, seen, walked)) for name, value in keywords],
        [_held(value, module, seen, walked) for value in cells],
    )
    return (code_parts(function.__code__), *held, read)


def _held(value: object, module: str, seen: set[int], walked: bool = False) -> object:
    """A default, closure or partial's argument as a key part: a function (a helper handed in,
    ``fix=helper``) as a global one (joblib's hash knows a function by its name only, so an
    edited helper kept its maps); anything else by content. ``walked`` (what a method or a
    dispatched implementation holds, which the mapper does not name): constants and dicts, lists
    and sets of them by value (a named tuple with its type's name), anything else by its type.
    joblib's hash of a value it cannot pickle (a lock, an RDKit standardiser) drops the parts
    after it, and a tensor's differs by process: found in a class the mapper never calls, they
    cost the key of every process, or its other parts."""
    if isinstance(value, types.FunctionType | partial | type) or (
        callable(value) and hasattr(value, "__wrapped__")
    ):
        return _global_part(value, module, seen, walked)
    if walked:
        try:
            constant = _plain(value)
        except TypeError:
            return ("mutable", getattr(type(value), "__module__", ""), type(value).__qualname__)
        return constant if type(value) in _CONSTANT_TYPES else (type(value).__qualname__, constant)
    if type(value) in (tuple, frozenset):  # a frozenset in one order in every process (joblib
        try:  # orders sets, not frozensets); not a tuple's subclass, whose type would be lost
            return _constant(value)
        except TypeError:
            pass
    return value


def _plain(value: object) -> object:
    """A constant (:func:`_constant`), or a dict, list or set of them, as a key part that is the
    same in every process; TypeError for anything else."""
    if isinstance(value, dict):
        return ("dict", tuple(sorted(((_plain(k), _plain(v)) for k, v in value.items()), key=repr)))
    if isinstance(value, list):
        return ("list", tuple(_plain(v) for v in value))
    if isinstance(value, set):
        return ("set", tuple(sorted((_plain(v) for v in value), key=repr)))
    return _constant(value)


#: the constants' own types (a subclass of tuple, a named tuple, also counts by its name)
_CONSTANT_TYPES = (*_SCALARS, tuple, frozenset)


def _global_part(value: object, module: str, seen: set[int], walked: bool = False) -> object:
    """A global a mapper reads, as a key part: a function or class of the mapper's own module, of
    a notebook (``__main__``, handed to a mapper of another module too), or of the user's own
    modules (files beside the notebook that no distribution installs), by what it computes (a
    class by its methods and class attributes), also under a decorator or a partial; such a module
    by what it holds as loaded (an edit counts once reloaded: what runs is what maps); a constant
    by value; a module, a class or another library's function by name and installed version
    (walking a library would cost more than mapping); a mutable value (a dict, a list, an object)
    by its type alone, since a mapper may keep state there (a memo, a lazily loaded model); a
    bound method by its function and class."""
    if _dispatcher(value) and _users_dispatcher(value, module):  # functools.singledispatch's
        # (its wrapper is a function of the user's module, whose code is functools')
        if id(value) in seen:  # (an implementation that dispatches again)
            return ("seen", getattr(value, "__qualname__", ""))
        seen.add(id(value))
        registry = sorted(((_type_name(kind), f) for kind, f in value.registry.items()), key=lambda kf: kf[0])
        functions = [(kind, _unbound(f)) for kind, f in registry]
        return ("dispatch", [(kind, _global_part(f, module, seen, walked=True)) for kind, f in functions])
    if isinstance(value, types.MethodType):  # a bound method: its function, and its class's parts
        owner = value.__self__ if isinstance(value.__self__, type) else type(value.__self__)
        function = _global_part(value.__func__, module, seen, walked=True)
        return ("method", function, _global_part(owner, module, seen))
    if isinstance(value, types.FunctionType | type) and _own(getattr(value, "__module__", ""), module):
        if isinstance(value, types.FunctionType):
            return _function_parts(value, seen, walked)
        return _class_parts(value, seen)
    if isinstance(value, partial):  # its arguments by content (a repr cuts a long array short)
        arguments = [_held(v, module, seen) for v in value.args]
        keywords = [(name, _held(v, module, seen)) for name, v in sorted(value.keywords.items())]
        return ("partial", _global_part(value.func, module, seen), arguments, keywords)
    if callable(value) and hasattr(value, "__wrapped__"):  # functools.cache and other decorators
        inner = value.__wrapped__  # (one level: the user's own wrapper beneath counts by its code)
        if type(inner) is type(value) and not isinstance(value, types.FunctionType):
            # a proxy answering every attribute: its __wrapped__ is another, without end
            return ("by name", type(value).__module__, type(value).__qualname__)
        return ("wrapped", _global_part(inner, module, seen, walked))
    if isinstance(value, types.ModuleType):
        if not _users(value.__name__) or id(value) in seen:
            return ("module", value.__name__, _version(value.__name__))
        seen.add(id(value))
        held = {name: v for name, v in vars(value).items() if not name.startswith("__")}
        return (
            "module",
            value.__name__,
            [(n, _global_part(held[n], value.__name__, seen)) for n in sorted(held)],
        )
    if isinstance(value, type) or (callable(value) and (name := _library_name(value, module))):
        owner = script_as_main(getattr(value, "__module__", None) or "")
        return ("by name", owner, value.__qualname__ if isinstance(value, type) else name, _version(owner))
    if isinstance(value, re.Pattern):  # a compiled pattern by what it matches (it holds no state)
        return ("pattern", value.pattern, value.flags)
    try:
        return _constant(value)
    except TypeError:
        return ("mutable", getattr(type(value), "__module__", ""), type(value).__qualname__)


def _own(defined_in: str, module: str) -> bool:
    """Whether code defined in ``defined_in`` is the user's, read by a mapper of ``module``: the
    mapper's own module, a notebook's (``__main__``) or the user's own modules."""
    defined_in = defined_in or ""  # (a class may have no module, or None)
    return script_as_main(defined_in) in (script_as_main(module), "__main__") or _users(defined_in)


#: what every class holds that no edit changes (``__dict__`` and ``__weakref__`` are descriptors)
_CLASS_BOOKKEEPING = ("__dict__", "__weakref__", "__module__", "__qualname__", "__doc__", "__firstlineno__")


def _class_parts(cls: type, seen: set[int]) -> tuple:
    """What a user's class computes, for the cache key: its bases, and each method (a static or
    class method, a property's functions too) and class attribute, as a global one is known (an
    edited method kept the maps of the class before it: it was known by its name)."""
    if id(cls) in seen:
        return ("seen", cls.__qualname__)
    seen.add(id(cls))
    members = [
        (name, _member_part(member, cls.__module__, seen))
        for name, member in sorted(vars(cls).items())
        if name not in _CLASS_BOOKKEEPING
    ]
    bases = [_global_part(base, cls.__module__, seen) for base in (type(cls), *cls.__bases__)]  # metaclass
    return ("class", cls.__qualname__, bases, members)


def _member_part(member: object, module: str, seen: set[int]) -> object:
    """A class member as a key part: the functions inside a method's wrapper, a partial method's
    function and its arguments (by content, as a partial's), a single-dispatch method's registry,
    an Enum member's value; else as a global one."""
    if isinstance(member, partialmethod):
        names = sorted(member.keywords)
        return (
            _global_part(member.func, module, seen, walked=True),
            [_held(value, module, seen, walked=True) for value in member.args],
            [(name, _held(member.keywords[name], module, seen, walked=True)) for name in names],
        )
    if isinstance(member, singledispatchmethod):
        return _global_part(member.dispatcher, module, seen)
    if isinstance(member, staticmethod | classmethod):
        parts = (member.__func__,)
    elif isinstance(member, property):
        parts = (member.fget, member.fset, member.fdel)
    elif isinstance(member, cached_property):
        parts = (member.func,)
    elif isinstance(member, Enum):
        parts = (member.value,)
    else:
        parts = (member,)
    return [_global_part(part, module, seen, walked=True) for part in parts]


def _dispatcher(value: object) -> bool:
    """Whether ``value`` is a function that ``functools.singledispatch`` made (not any object with a
    ``registry`` and a ``dispatch``: a plugin registry of the user's, a mock)."""
    # every dispatcher is functools' one wrapper (whose registry functools.wraps copies elsewhere too)
    function = isinstance(value, types.FunctionType) and value.__code__ is _DISPATCHER_CODE
    return function and isinstance(getattr(value, "registry", None), types.MappingProxyType)


_DISPATCHER_CODE = singledispatch(lambda value: value).__code__


def _library_name(value: object, module: str) -> str | None:
    """The name a library's callable goes by: its ``__qualname__``, or a compiled library's
    function's ``__name__`` alone (RDKit's MolFromSmiles and MolFromSmarts were one "Boost.Python
    function"); None for an object of the user's class (its type tells, not a name it copied)."""
    try:
        name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    except Exception:  # (a mapping that answers attributes from its keys)
        return None
    own_object = _own(getattr(type(value), "__module__", "") or "", module) and not hasattr(value, "__code__")
    return name if isinstance(name, str) and not own_object else None


def _unbound(function: object) -> object:
    """A registered implementation as a function: a static or class method object's own (a bound
    method keeps its class, whose attributes it reads)."""
    return function.__func__ if isinstance(function, staticmethod | classmethod) else function


def _users_dispatcher(dispatcher: types.FunctionType, module: str) -> bool:
    """Whether a dispatcher is the user's: made of their function, or holding an implementation of
    theirs (``singledispatch(Chem.CanonSmiles)`` takes the library's module name)."""
    implementations = (_unbound(f) for f in dispatcher.registry.values())
    defined = (getattr(getattr(f, "__func__", f), "__module__", None) for f in implementations)
    return _own(dispatcher.__module__, module) or any(_own(name, module) for name in defined if name)


def _type_name(kind: type) -> str:
    return f"{getattr(kind, '__module__', '')}.{kind.__qualname__}"


def script_as_main(module: str) -> str:
    """A module's name, the script's as ``__main__`` also in a worker process that multiprocessing
    spawned (where it is ``__mp_main__``): the same function maps to the same key there."""
    return "__main__" if module == "__mp_main__" else module


def _users(module: str) -> bool:
    """Whether ``module`` is the user's own code: a file that neither an installed distribution
    (an editable install counts as one) nor the standard library provides, and not the script
    itself (``__main__``, whose functions count by their code where a mapper reads them)."""
    if module.partition(".")[0] in sys.stdlib_module_names or script_as_main(module) == "__main__":
        return False
    return _version(module) is None and getattr(sys.modules.get(module), "__file__", None) is not None


@cache
def _version(module: str) -> str | None:
    """The installed version of the distribution that provides ``module`` (None: not installed)."""
    for distribution in packages_distributions().get(module.partition(".")[0], []):
        try:
            return version(distribution)
        except PackageNotFoundError:
            continue
    return None
