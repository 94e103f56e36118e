/* Graph mode: recorders and compiled graphs (include/swiftgrad.h, "Graph mode") as capsules. */
#include "swiftgrad_ext.h"

static const char *RECORDER = "swiftgrad.recorder";
static const char *COMPILED = "swiftgrad.compiled";

static void recorder_destructor(PyObject *capsule) { sg_recorder_free(PyCapsule_GetPointer(capsule, RECORDER)); }
static void compiled_destructor(PyObject *capsule) { sg_compiled_free(PyCapsule_GetPointer(capsule, COMPILED)); }

static PyObject *py_recorder_new(PyObject *self, PyObject *unused) {
  void *r;
  int status = sg_recorder_new(&r);
  if (status) return sg_raise(status);
  return PyCapsule_New(r, RECORDER, recorder_destructor);
}

static PyObject *py_recorder_activate(PyObject *self, PyObject *args) {
  PyObject *capsule;
  int active;
  if (!PyArg_ParseTuple(args, "Op", &capsule, &active)) return NULL;
  void *r = PyCapsule_GetPointer(capsule, RECORDER);
  if (!r) return NULL;
  int status = sg_recorder_activate(r, active);
  if (status) return sg_raise(status);
  Py_RETURN_NONE;
}

static PyObject *py_recorder_add_input(PyObject *self, PyObject *args) {
  PyObject *capsule, *t;
  if (!PyArg_ParseTuple(args, "OO", &capsule, &t)) return NULL;
  void *r = PyCapsule_GetPointer(capsule, RECORDER);
  if (!r) return NULL;
  if (!sg_is_tensor(t))
    return PyErr_Format(PyExc_TypeError, "graph inputs must be Tensors, got %.100s", Py_TYPE(t)->tp_name);
  int status = sg_recorder_add_input(r, ((TensorObject *)t)->handle);
  if (status) return sg_raise(status);
  Py_RETURN_NONE;
}

/* Borrowed handles of a sequence of Tensors (a new PySequence_Fast in *keep). */
static sg_tensor *tensor_handles(PyObject *seq_obj, PyObject **keep, Py_ssize_t *n, const char *what) {
  PyObject *seq = PySequence_Fast(seq_obj, "expected a sequence of Tensors");
  if (!seq) return NULL;
  *n = PySequence_Fast_GET_SIZE(seq);
  sg_tensor *handles = PyMem_Calloc(*n + 1, sizeof(sg_tensor));
  if (!handles) {
    Py_DECREF(seq);
    PyErr_NoMemory();
    return NULL;
  }
  for (Py_ssize_t i = 0; i < *n; i++) {
    PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
    if (!sg_is_tensor(item)) {
      PyErr_Format(PyExc_TypeError, "%s[%zd] must be a Tensor, got %.100s", what, i, Py_TYPE(item)->tp_name);
      PyMem_Free(handles);
      Py_DECREF(seq);
      return NULL;
    }
    handles[i] = ((TensorObject *)item)->handle;
  }
  *keep = seq;
  return handles;
}

static PyObject *py_recorder_compile(PyObject *self, PyObject *args) {
  PyObject *capsule, *fetches, *keep;
  int optimize = 1;
  if (!PyArg_ParseTuple(args, "OO|p", &capsule, &fetches, &optimize)) return NULL;
  void *r = PyCapsule_GetPointer(capsule, RECORDER);
  if (!r) return NULL;
  Py_ssize_t n;
  sg_tensor *handles = tensor_handles(fetches, &keep, &n, "fetches");
  if (!handles) return NULL;
  void *graph;
  int status = sg_recorder_compile(&graph, r, handles, (int)n, optimize);
  PyMem_Free(handles);
  Py_DECREF(keep);
  if (status) return sg_raise(status);
  return PyCapsule_New(graph, COMPILED, compiled_destructor);
}

static PyObject *py_compiled_run(PyObject *self, PyObject *args) {
  PyObject *capsule, *inputs, *keep;
  int recorded = -1;
  if (!PyArg_ParseTuple(args, "OO|i", &capsule, &inputs, &recorded)) return NULL;
  void *graph = PyCapsule_GetPointer(capsule, COMPILED);
  if (!graph) return NULL;
  Py_ssize_t n;
  sg_tensor *handles = tensor_handles(inputs, &keep, &n, "inputs");
  if (!handles) return NULL;
  int count = sg_compiled_num_outputs(graph);
  sg_tensor *outs = PyMem_Calloc(count + 1, sizeof(sg_tensor));
  PyObject *result = NULL;
  if (!outs) {
    PyErr_NoMemory();
    goto done;
  }
  int status;
  /* Replays never call back into Python (custom rules are not part of a compiled graph), so
     other threads may run meanwhile. */
  Py_BEGIN_ALLOW_THREADS
  status = sg_compiled_run(graph, handles, (int)n, outs, count, recorded);
  Py_END_ALLOW_THREADS
  if (status) {
    sg_raise(status);
    goto done;
  }
  result = PyTuple_New(count);
  for (int i = 0; result && i < count; i++) {
    PyObject *t = sg_wrap(outs[i]);
    outs[i] = NULL;
    if (!t) {
      Py_CLEAR(result);
      break;
    }
    PyTuple_SET_ITEM(result, i, t);
  }
done:
  PyMem_Free(handles);
  PyMem_Free(outs);
  Py_DECREF(keep);
  return result;
}

static PyObject *py_compiled_text(PyObject *self, PyObject *args) {
  PyObject *capsule;
  int which;
  if (!PyArg_ParseTuple(args, "Oi", &capsule, &which)) return NULL;
  void *graph = PyCapsule_GetPointer(capsule, COMPILED);
  if (!graph) return NULL;
  char *text = NULL;
  int status = sg_compiled_text(graph, which, &text);
  if (status) return sg_raise(status);
  PyObject *result = PyUnicode_FromString(text);
  sg_string_free(text);
  return result;
}

static PyMethodDef compile_methods[] = {
    {"recorder_new", py_recorder_new, METH_NOARGS, "A new graph recorder (graph mode)."},
    {"recorder_activate", py_recorder_activate, METH_VARARGS, "Start/stop recording on this thread."},
    {"recorder_add_input", py_recorder_add_input, METH_VARARGS, "Register a tensor as the next graph input."},
    {"recorder_compile", py_recorder_compile, METH_VARARGS, "Optimise the recording for the fetched tensors."},
    {"compiled_run", py_compiled_run, METH_VARARGS,
     "run(graph, inputs, mode=-1): 0 values only, 1 differentiable, -1 as the inputs need."},
    {"compiled_text", py_compiled_text, METH_VARARGS, "0: the pass report, 1: Graphviz DOT."},
    {NULL, NULL, 0, NULL}};

int sg_register_compile(PyObject *module) { return PyModule_AddFunctions(module, compile_methods); }
