/* Python rules called back from the Swift engine: custom_vjp / custom_jvp / Function rules,
 * checkpoint recomputation and tensor hooks (see include/swiftgrad.h, sg_callback_fn). */
#include "swiftgrad_ext.h"

/* Drops our reference to the Python callable (from whichever thread frees the rule). */
static void release_callable(void *context) {
  if (!context || _Py_IsFinalizing()) return;
  PyGILState_STATE gil = PyGILState_Ensure();
  Py_DECREF((PyObject *)context);
  PyGILState_Release(gil);
}

/* Calls context(*inputs) and stores its result(s): one object when `single`, else a sequence
 * of n_out objects (tensors, arrays, numbers, or None). */
static int call_python(void *context, int n_in, const sg_tensor *in, int n_out, sg_tensor *out, int single) {
  PyGILState_STATE gil = PyGILState_Ensure();
  int status = 0;
  PyObject *args = PyTuple_New(n_in), *result = NULL, *seq = NULL;
  for (int i = 0; args && i < n_in; i++) {
    PyObject *item = in[i] ? sg_wrap(sg_tensor_retain(in[i])) : Py_NewRef(Py_None);
    if (!item) goto failed;
    PyTuple_SET_ITEM(args, i, item);
  }
  if (!args || !(result = PyObject_Call((PyObject *)context, args, NULL))) goto failed;
  if (single) {
    seq = PyTuple_Pack(1, result);
  } else {
    seq = PySequence_Fast(result, "a custom rule must return a tuple (one entry per input)");
    if (seq && PySequence_Fast_GET_SIZE(seq) != n_out) {
      PyErr_Format(PyExc_ValueError, "a custom rule returned %zd values, expected %d (one per input)",
                   PySequence_Fast_GET_SIZE(seq), n_out);
      goto failed;
    }
  }
  if (!seq) goto failed;
  for (int i = 0; i < n_out; i++) {
    PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
    out[i] = NULL;
    if (item == Py_None) continue;
    sg_arg arg;
    if (sg_arg_from(item, &arg, "custom rule result") < 0) goto failed;
    out[i] = arg.owned ? arg.handle : sg_tensor_retain(arg.handle);
  }
  goto done;
failed:
  status = SG_CALLBACK_ERROR;
  for (int i = 0; i < n_out; i++)
    if (out[i]) {
      sg_tensor_free(out[i]);
      out[i] = NULL;
    }
done:
  Py_XDECREF(args);
  Py_XDECREF(result);
  Py_XDECREF(seq);
  PyGILState_Release(gil);
  return status;
}

/* VJP rules return one gradient per input (a sequence); JVP rules and hooks one tensor. */
static int call_python_sequence(void *context, int n_in, const sg_tensor *in, int n_out, sg_tensor *out) {
  return call_python(context, n_in, in, n_out, out, 0);
}
static int call_python_single(void *context, int n_in, const sg_tensor *in, int n_out, sg_tensor *out) {
  return call_python(context, n_in, in, n_out, out, 1);
}

static PyObject *py_custom_function(PyObject *self, PyObject *args) {
  const char *label;
  PyObject *inputs, *output, *vjp, *jvp, *taylor = Py_None;
  if (!PyArg_ParseTuple(args, "sOOOO|O", &label, &inputs, &output, &vjp, &jvp, &taylor)) return NULL;
  if (!sg_is_tensor(output)) {
    PyErr_SetString(PyExc_TypeError, "custom function: the forward result must be a Tensor");
    return NULL;
  }
  PyObject *seq = PySequence_Fast(inputs, "custom function: inputs must be a sequence");
  if (!seq) return NULL;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  sg_tensor *handles = PyMem_Calloc(n + 1, sizeof(sg_tensor));
  if (!handles) {
    Py_DECREF(seq);
    return PyErr_NoMemory();
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
    if (!sg_is_tensor(item)) {
      PyErr_Format(PyExc_TypeError, "custom function: input %zd is %.100s, not a Tensor", i, Py_TYPE(item)->tp_name);
      PyMem_Free(handles);
      Py_DECREF(seq);
      return NULL;
    }
    handles[i] = ((TensorObject *)item)->handle;
  }
  PyObject *vjp_ctx = vjp == Py_None ? NULL : Py_NewRef(vjp);
  PyObject *jvp_ctx = jvp == Py_None ? NULL : Py_NewRef(jvp);
  PyObject *taylor_ctx = taylor == Py_None ? NULL : Py_NewRef(taylor);
  sg_tensor out;
  int status =
      sg_custom_function_taylor(&out, label, (int)n, handles, ((TensorObject *)output)->handle,
                                vjp_ctx ? call_python_sequence : NULL, vjp_ctx, jvp_ctx ? call_python_single : NULL,
                                jvp_ctx, taylor_ctx ? call_python_sequence : NULL, taylor_ctx, release_callable);
  PyMem_Free(handles);
  Py_DECREF(seq);
  return status ? sg_raise(status) : sg_wrap(out);
}

static PyObject *py_register_hook(PyObject *self, PyObject *args) {
  PyObject *t, *fn;
  if (!PyArg_ParseTuple(args, "OO", &t, &fn)) return NULL;
  if (!sg_is_tensor(t) || !PyCallable_Check(fn)) {
    PyErr_SetString(PyExc_TypeError, "register_hook(tensor, callable)");
    return NULL;
  }
  int status =
      sg_tensor_register_hook(((TensorObject *)t)->handle, call_python_single, Py_NewRef(fn), release_callable);
  if (status) return sg_raise(status);
  Py_RETURN_NONE;
}

static PyMethodDef callback_methods[] = {
    {"custom_function", py_custom_function, METH_VARARGS,
     "custom_function(label, inputs, output, vjp_or_None, jvp_or_None, taylor=None): record a custom rule node."},
    {"register_hook", py_register_hook, METH_VARARGS, "register_hook(tensor, fn): fn(grad) -> replacement or None."},
    {NULL}};

int sg_register_callbacks(PyObject *module) { return PyModule_AddFunctions(module, callback_methods); }
