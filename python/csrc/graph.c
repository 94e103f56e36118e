/* Bindings for graph introspection (sg.graph, sg.trace). Registered by sg_register_graph. */
#include "swiftgrad_ext.h"

static int get_tensor(PyObject *obj, sg_tensor *out) {
  if (!sg_is_tensor(obj)) {
    PyErr_Format(PyExc_TypeError, "expected a Tensor, got %.100s", Py_TYPE(obj)->tp_name);
    return -1;
  }
  *out = ((TensorObject *)obj)->handle;
  return 0;
}

static PyObject *py_tensor_id(PyObject *self, PyObject *t) {
  sg_tensor h;
  if (get_tensor(t, &h) < 0) return NULL;
  return PyLong_FromLongLong(sg_graph_tensor_id(h));
}

static PyObject *py_node_id(PyObject *self, PyObject *t) {
  sg_tensor h;
  if (get_tensor(t, &h) < 0) return NULL;
  int64_t id = sg_graph_node_id(h);
  if (id < 0) Py_RETURN_NONE;
  return PyLong_FromLongLong(id);
}

static PyObject *py_node_released(PyObject *self, PyObject *t) {
  sg_tensor h;
  if (get_tensor(t, &h) < 0) return NULL;
  return PyBool_FromLong(sg_graph_node_released(h));
}

typedef int (*list_fn)(sg_tensor, sg_tensor *, int64_t, int64_t *);

/* Calls a two-call listing function and returns a tuple of new Tensor objects. */
static PyObject *listing(PyObject *t, list_fn fn) {
  sg_tensor h;
  if (get_tensor(t, &h) < 0) return NULL;
  int64_t count = 0;
  int status = fn(h, NULL, 0, &count);
  if (status) return sg_raise(status);
  sg_tensor *handles = PyMem_Calloc(count + 1, sizeof(sg_tensor));
  if (!handles) return PyErr_NoMemory();
  int64_t again = 0;
  status = fn(h, handles, count, &again);
  if (status || again != count) {
    for (int64_t i = 0; i < count; i++) sg_tensor_free(handles[i]);
    PyMem_Free(handles);
    if (status) return sg_raise(status);
    PyErr_SetString(PyExc_RuntimeError, "graph changed while it was being listed");
    return NULL;
  }
  PyObject *result = PyTuple_New(count);
  for (int64_t i = 0; i < count; i++) {
    PyObject *item = result ? sg_wrap(handles[i]) : NULL;
    if (!item) {
      if (result) {
        Py_CLEAR(result);
      } else {
        sg_tensor_free(handles[i]);
      }
      continue;
    }
    PyTuple_SET_ITEM(result, i, item);
  }
  PyMem_Free(handles);
  return result;
}

static PyObject *py_node_inputs(PyObject *self, PyObject *t) { return listing(t, sg_graph_node_inputs); }
static PyObject *py_topological_order(PyObject *self, PyObject *t) { return listing(t, sg_graph_topological_order); }

static PyMethodDef graph_methods[] = {
    {"graph_tensor_id", py_tensor_id, METH_O, "A number identifying the tensor object while it is alive."},
    {"graph_node_id", py_node_id, METH_O, "Id of the producing node (recording order), or None for a leaf."},
    {"graph_node_released", py_node_released, METH_O, "Whether backward freed the producing node's inputs."},
    {"graph_node_inputs", py_node_inputs, METH_O, "The producing node's input tensors (a tuple)."},
    {"graph_topological_order", py_topological_order, METH_O, "Tensors reachable from t, inputs first."},
    {NULL, NULL, 0, NULL}};

int sg_register_graph(PyObject *module) { return PyModule_AddFunctions(module, graph_methods); }
