/*
 * swiftgrad C ABI: the boundary between the Swift core (libswiftgrad.so) and its clients.
 *
 * Conventions
 * - Tensors are opaque handles (sg_tensor). A handle returned through an `sg_tensor *out`
 *   parameter is owned by the caller and released with sg_tensor_free().
 * - Functions returning int return 0 on success, otherwise an error kind:
 *     1 value error, 2 type error, 3 index error, 4 runtime error,
 *     5 an exception raised inside a client callback (the client keeps it),
 *     6 memory error (an allocation that cannot succeed, refused before it is made).
 *   The message is read with sg_last_error() on the same thread, right after the failing call.
 * - Arguments are validated in Swift before any kernel runs; bad input never traps.
 * - dtype codes: 0 bool, 1 int64, 2 float32, 3 float64, 4 bfloat16, 5 float16, 6 int8, 7 int16, 8 int32,
 *   9 uint8, 10 uint16, 11 uint32, 12 uint64, 13 complex64, 14 complex128 (fixed; new dtypes take new
 *   codes: Note [The dtype layer] in Sources/SwiftGrad/Core/DType.swift).
 * - Shapes, strides (in elements) and axes are int64 arrays with an explicit length.
 */
#ifndef SWIFTGRAD_H
#define SWIFTGRAD_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void *sg_tensor;
typedef void (*sg_release_fn)(void *context);

enum {
  SG_BOOL = 0,
  SG_INT64 = 1,
  SG_FLOAT32 = 2,
  SG_FLOAT64 = 3,
  SG_BFLOAT16 = 4,
  SG_FLOAT16 = 5,
  SG_INT8 = 6,
  SG_INT16 = 7,
  SG_INT32 = 8,
  SG_UINT8 = 9,
  SG_UINT16 = 10,
  SG_UINT32 = 11,
  SG_UINT64 = 12,
  SG_COMPLEX64 = 13,
  SG_COMPLEX128 = 14
};
enum {
  SG_OK = 0,
  SG_VALUE_ERROR = 1,
  SG_TYPE_ERROR = 2,
  SG_INDEX_ERROR = 3,
  SG_RUNTIME_ERROR = 4,
  SG_CALLBACK_ERROR = 5,
  SG_MEMORY_ERROR = 6,
  SG_AXIS_ERROR = 7 /* an axis out of range: numpy.exceptions.AxisError in Python */
};

/* Errors */
const char *sg_last_error(void);
int sg_last_error_kind(void);
void sg_set_error(int kind, const char *message);

/* Lifetime and creation */
void sg_tensor_free(sg_tensor t);
/* Adds a reference: the same handle must then be freed once more. Returns `t`. */
sg_tensor sg_tensor_retain(sg_tensor t);
/* Zero-copy view of external memory [data, data + byte_count); release(context) runs when the
 * last view is gone, possibly on another thread; when the call fails it never runs (the caller
 * still owns the buffer). */
int sg_tensor_wrap(sg_tensor *out, void *data, int64_t byte_count, int dtype, int ndim, const int64_t *shape,
                   const int64_t *strides, int64_t offset, void *context, sg_release_fn release);
void sg_random_seed(uint64_t seed);
/* The generator's state: four 64-bit words (xoshiro256**). Setting the all-zero state fails. */
void sg_random_get_state(uint64_t out[4]);
int sg_random_set_state(const uint64_t state[4]);

/* Inspection (handles must be valid) */
int sg_tensor_ndim(sg_tensor t);
int sg_tensor_dtype(sg_tensor t);
int64_t sg_tensor_size(sg_tensor t);
void *sg_tensor_data(sg_tensor t);                 /* address of element [0, ..., 0] */
void sg_tensor_shape(sg_tensor t, int64_t *out);   /* ndim entries */
void sg_tensor_strides(sg_tensor t, int64_t *out); /* ndim entries, in elements */
int sg_tensor_same_storage(sg_tensor a, sg_tensor b);
int64_t sg_tensor_version(sg_tensor t);
void sg_tensor_set_weak(sg_tensor t);     /* a Python scalar: does not widen the other operand; read-only */
void sg_tensor_set_readonly(sg_tensor t); /* in-place writes into its memory are refused */
int sg_tensor_is_readonly(sg_tensor t);

/* Autograd state */
int sg_tensor_requires_grad(sg_tensor t);
int sg_tensor_set_requires_grad(sg_tensor t, int flag);
int sg_tensor_is_leaf(sg_tensor t);
void sg_tensor_grad_fn_name(sg_tensor t, char *buffer, int capacity);
void sg_tensor_grad(sg_tensor t, sg_tensor *out); /* *out = NULL when there is none */
int sg_tensor_set_grad(sg_tensor t, sg_tensor grad_or_null);
void sg_tensor_retain_grad(sg_tensor t);
int sg_grad_enabled(void);
int sg_set_grad_enabled(int flag); /* returns the previous mode (thread-local) */
int sg_backward(sg_tensor root, sg_tensor gradient_or_null, int retain_graph, int create_graph);
/* results: n_in entries, NULL for unused inputs when allow_unused; retain_graph < 0: default. */
int sg_autograd_grad(int n_out, const sg_tensor *outputs, const sg_tensor *grad_outputs, int n_in,
                     const sg_tensor *inputs, int retain_graph, int create_graph, int allow_unused, sg_tensor *results);
int sg_detach(sg_tensor *out, sg_tensor a);
/* Anomaly detection (thread-local): backward names the first op producing NaN/inf
 * cotangents, with the creation place recorded by sg_tensor_set_origin. Returns previous mode. */
int sg_set_anomaly_enabled(int flag);
void sg_tensor_set_origin(sg_tensor t, const char *origin);

/* --- The operation table (Sources/SwiftGradC/Operations.swift; Note [One op table]) ---------
 * Every operation (exp, sum, reshape, einsum, svd, ...) is numbered 0 ..< sg_op_count() and
 * described here: its name, docstring, namespace ("" for swiftgrad, "linalg", "nn.functional", "_"
 * hidden), the
 * Tensor method of the same signature (or NULL), and its parameters (name, '|'-separated other
 * keyword spellings, kind, default as a Python literal or NULL when required, keyword-only).
 * Strings stay valid for the life of the process. Family: 0 unary (sg_op_unary), 1 binary
 * (sg_op_binary), 2 general; sg_op_call runs any of them. Result: 0 one tensor, 1 a tuple,
 * 2 a list. */
enum {
  SG_KIND_TENSOR = 0,
  SG_KIND_OPTIONAL_TENSOR = 1,
  SG_KIND_TENSORS = 2,
  SG_KIND_VARIADIC_TENSORS = 3,
  SG_KIND_INT = 4,
  SG_KIND_OPTIONAL_INT = 5,
  SG_KIND_FLOAT = 6,
  SG_KIND_OPTIONAL_FLOAT = 7,
  SG_KIND_BOOL = 8,
  SG_KIND_INTS = 9,
  SG_KIND_OPTIONAL_INTS = 10,
  SG_KIND_VARIADIC_INTS = 11,
  SG_KIND_STRING = 12,
  SG_KIND_INT_OR_INTS = 13,
  SG_KIND_FLOAT_OR_STRING = 14,
  SG_KIND_INTS_OR_STRING = 15,
  SG_KIND_OPTIONAL_STRING = 16
};
int sg_op_count(void);
int sg_op_find(const char *name); /* -1 when unknown */
const char *sg_op_name(int op);
const char *sg_op_doc(int op);
const char *sg_op_signature(int op); /* Python's text signature: "(a, axis=None, keepdims=False)" */
const char *sg_op_namespace(int op);
const char *sg_op_method(int op);
int sg_op_family(int op);
int sg_op_result(int op);
int sg_op_differentiable(int op);
int sg_op_parameter_count(int op);
const char *sg_op_parameter_name(int op, int j);
const char *sg_op_parameter_aliases(int op, int j);
int sg_op_parameter_kind(int op, int j);
const char *sg_op_parameter_default(int op, int j);
int sg_op_parameter_keyword_only(int op, int j);
const char *sg_kind_spelling(int kind); /* "tensor", "ints?", "*tensors", ... */

/* An argument value: kind SG_VALUE_*; integer holds an int or bool, or the count of `pointer`'s
 * int64s (INTS) or handles (TENSORS); pointer holds a handle (TENSOR) or a NUL-terminated
 * string (STRING). One value per parameter, in the signature's order. */
enum {
  SG_VALUE_NONE = 0,
  SG_VALUE_TENSOR = 1,
  SG_VALUE_TENSORS = 2,
  SG_VALUE_INT = 3,
  SG_VALUE_FLOAT = 4,
  SG_VALUE_BOOL = 5,
  SG_VALUE_INTS = 6,
  SG_VALUE_STRING = 7
};
typedef struct {
  int64_t kind;
  int64_t integer;
  double real;
  const void *pointer;
} sg_value;
int sg_op_unary(int op, sg_tensor *out, sg_tensor a);
int sg_op_binary(int op, sg_tensor *out, sg_tensor a, sg_tensor b);
/* Results go to outs when there are at most `capacity`, else to a malloc'ed array in *heap
 * (freed with sg_free); *count is their number either way. */
int sg_op_call(int op, const sg_value *values, int n, sg_tensor *outs, int64_t capacity, sg_tensor **heap,
               int64_t *count);
void sg_free(void *p);
/* Per-operation call counts for coverage tests: on != 0 resets and starts counting (not for
 * concurrent use while on); returns the previous setting. */
int sg_op_count_calls(int on);
int64_t sg_op_calls(int op);

/* Basic indexing: 4 int64 per item: kind (0 int, 1 slice, 2 None, 3 Ellipsis), start, stop,
 * step; INT64_MIN marks an omitted slice bound. */
int sg_index(sg_tensor *out, sg_tensor a, const int64_t *items, int n_items);

/* Advanced indexing: items as for sg_index, plus kind 4 = an integer or boolean index array,
 * arrays[start]. NumPy semantics (broadcast index arrays; the placement rule for adjacent
 * advanced indices). sg_setitem_advanced writes value (broadcast, cast) at the selected
 * elements, the last of repeated indices winning. */
int sg_index_advanced(sg_tensor *out, sg_tensor a, const int64_t *items, int n_items, const sg_tensor *arrays,
                      int n_arrays);
int sg_setitem_advanced(sg_tensor *out, sg_tensor target, const int64_t *items, int n_items, const sg_tensor *arrays,
                        int n_arrays, sg_tensor value);

/* In-place: the new values are written into the target's memory. *out is the handle that
 * stands for the target afterwards (the same tensor, or a new one over the same storage that
 * carries the recorded history); the caller replaces its handle with it.
 * op: 0 add, 1 subtract, 2 multiply, 3 divide. */
int sg_inplace(sg_tensor *out, sg_tensor target, sg_tensor other, int op);
/* target[items] = value (items as for sg_index; the value is cast to the target's dtype). */
int sg_setitem(sg_tensor *out, sg_tensor target, const int64_t *items, int n_items, sg_tensor value);
/* --- nn / optim / graph ------------------------------------------------- */
/* Optimizer steps: update `param` and the state buffers in place (bumping their version
 * counters) and record nothing. grad and every state buffer must have param's shape and dtype;
 * state buffers must be contiguous. Scalars follow torch.optim's meaning. */
/* Mixed precision. sg_autocast_set: this thread's autocast dtype (SG_BFLOAT16, SG_FLOAT16 or -1 for off;
 * Note [Autocast]); the previous one goes to *previous. sg_amp_unscale: multiplies each of the n
 * gradients in place by inverse_scale (no graph; bumps versions) and sets *found_inf to 1 when any
 * element was inf or NaN before (GradScaler.unscale_). */
int sg_autocast_set(int dtype, int *previous);
int sg_amp_unscale(const sg_tensor *grads, int n, double inverse_scale, int *found_inf);
int sg_optim_sgd_step(sg_tensor param, sg_tensor grad, sg_tensor momentum_buffer_or_null, double lr, double momentum,
                      double dampening, double weight_decay, int nesterov, int maximize, int first_step);
int sg_optim_adam_step(sg_tensor param, sg_tensor grad, sg_tensor exp_avg, sg_tensor exp_avg_sq,
                       sg_tensor max_exp_avg_sq_or_null, int64_t step, double lr, double beta1, double beta2,
                       double eps, double weight_decay, int decoupled_weight_decay, int maximize);
/* In-place writes into a tensor not produced by a recorded op (bump its version; no graph). */
int sg_inplace_fill(sg_tensor t, double value);
int sg_inplace_copy(sg_tensor dst, sg_tensor src); /* src broadcast to dst's shape and cast */
/* Graph introspection (read-only). Node ids increase in recording order; -1 for a leaf. */
int64_t sg_graph_tensor_id(sg_tensor t);
int64_t sg_graph_node_id(sg_tensor t);
int sg_graph_node_released(sg_tensor t);
/* Write up to `capacity` new handles into out and the total into *count; call again with a
 * bigger array when *count > capacity. topological_order lists each tensor after its inputs. */
int sg_graph_node_inputs(sg_tensor t, sg_tensor *out, int64_t capacity, int64_t *count);
int sg_graph_topological_order(sg_tensor root, sg_tensor *out, int64_t capacity, int64_t *count);

/* --- Forward mode and transforms -------------------------------------
 * Tangents ride on tensors, tagged by a nesting level; levels are never reused on a thread.
 * make_dual: primal carrying tangent at level (integer/bool primals are returned unchanged).
 * tangent: the tangent at level, or zeros of the tensor's shape and dtype.
 * strip: the tensor without its level tangent (graph connection kept).
 * reverse_input: what a reverse transform differentiates with respect to (connected to the
 *   argument's graph when it requires grad, a fresh leaf otherwise; tangents kept).
 * result_needs_graph: *result = 1 when gradients of outputs w.r.t. inputs must be recorded
 *   (create_graph) because something outside may differentiate them. */
int64_t sg_forward_new_level(void);
int sg_forward_make_dual(sg_tensor *out, sg_tensor primal, sg_tensor tangent, int64_t level);
int sg_forward_tangent(sg_tensor *out, sg_tensor x, int64_t level);
int sg_forward_has_tangent(sg_tensor x, int64_t level);
int sg_forward_strip(sg_tensor *out, sg_tensor x, int64_t level);
int sg_reverse_input(sg_tensor *out, sg_tensor x);
int sg_result_needs_graph(int n_out, const sg_tensor *outputs, int n_in, const sg_tensor *inputs, int *result);

/* --- Taylor mode (Sources/SwiftGradC/Jet.swift) ----------------------------------------------
 * A jet level is a forward-mode level (sg_forward_new_level); sg_forward_strip drops its series.
 * jet_enter: primal carrying the curve whose derivative terms are terms[0..n) (JAX's scaling:
 *   term k is the k-th derivative, not divided by k!); integer/bool primals are a TypeError.
 *   collapse != 0: order 2 with terms[0] batched by vmap (the directions); only the mean over
 *   the directions of the second term is kept exact (the collapsed Laplacian).
 * jet_term: the k-th derivative term (k >= 1) of x at level, zeros when x carries none. */
int sg_jet_enter(sg_tensor *out, sg_tensor primal, int n, const sg_tensor *terms, int64_t level, int collapse);
int sg_jet_term(sg_tensor *out, sg_tensor x, int64_t k, int64_t level);

/* --- Custom rules and hooks from the client (Sources/SwiftGradC/Custom.swift) --------------
 * A callback receives n_in borrowed handles (NULL: zero/none) and fills n_out handles that Swift
 * then owns (NULL: none); it returns 0, or 5 after leaving its own exception set on the thread
 * (the client re-raises it where the public call returns), or another non-zero status. */
typedef int (*sg_callback_fn)(void *context, int n_in, const sg_tensor *in, int n_out, sg_tensor *out);
/* Records `output` as custom function `label` of `inputs`. vjp_fn: the cotangent in, one
 * gradient per input out. jvp_fn: primals then tangents in (2n), the output tangent out. Either
 * may be NULL and is then derived from the other by transposition. Contexts are released with
 * `release` when no longer needed (also on failure). */
int sg_custom_function(sg_tensor *out, const char *label, int n_in, const sg_tensor *inputs, sg_tensor output,
                       sg_callback_fn vjp_fn, void *vjp_context, sg_callback_fn jvp_fn, void *jvp_context,
                       sg_release_fn release);
/* sg_custom_function with a Taylor rule (NULL: order 1 from the JVP rule only). taylor_fn: n + n K
 * inputs (the primals, then primal i's K derivative terms at n + i K + k, JAX's scaling; NULL for
 * a constant input), the output's K derivative terms out (NULL: zero). */
int sg_custom_function_taylor(sg_tensor *out, const char *label, int n_in, const sg_tensor *inputs, sg_tensor output,
                              sg_callback_fn vjp_fn, void *vjp_context, sg_callback_fn jvp_fn, void *jvp_context,
                              sg_callback_fn taylor_fn, void *taylor_context, sg_release_fn release);
/* A hook run on the tensor's gradient during backward: the gradient in, a replacement or NULL out. */
int sg_tensor_register_hook(sg_tensor t, sg_callback_fn fn, void *context, sg_release_fn release);

/* --- Graph mode (Sources/SwiftGradC/Compile.swift) ---------------------------------------
 * A recorder, while active on a thread, records every primitive applied there; inputs are
 * registered with sg_recorder_add_input. sg_recorder_compile optimises the recording for the
 * fetched tensors (optimize != 0: constant folding, CSE, DCE, elementwise fusion, memory plan)
 * into a compiled graph that sg_compiled_run replays with new inputs in one call (recorded: 0
 * forward kernels only, 1 through autograd so results carry gradients and tangents, -1 as the
 * inputs need). Free both with their _free functions. */
int sg_recorder_new(void **out);
void sg_recorder_free(void *recorder);
int sg_recorder_activate(void *recorder, int active);
int sg_recorder_add_input(void *recorder, sg_tensor t);
int sg_recorder_compile(void **out, void *recorder, const sg_tensor *fetches, int count, int optimize);
void sg_compiled_free(void *graph);
int sg_compiled_num_outputs(void *graph);
int sg_compiled_run(void *graph, const sg_tensor *inputs, int count, sg_tensor *outs, int capacity, int recorded);
/* which: 0 the pass report, 1 Graphviz DOT; the text is freed with sg_string_free. */
int sg_compiled_text(void *graph, int which, char **out);
void sg_string_free(char *text);

/* --- BLAS and LAPACK (Sources/CBLAS/sg_blas.c: opened at run time, see its note) ------------
 * sg_blas_load opens the library at `path` unless one is loaded (0 on success, -1 with the reason
 * in sg_blas_error()); sg_blas_ready loads the default when none is (1 when one is loaded). The
 * strings describe the loaded library and stay valid; they are empty before loading. */
int sg_blas_load(const char *path);
int sg_blas_ready(void);
const char *sg_blas_error(void);
const char *sg_blas_library_path(void);
const char *sg_blas_config(void);
const char *sg_blas_corename(void);
const char *sg_blas_preselected_core(void);
const char *sg_blas_cpu_best_core(void);
int sg_blas_core_is_generic(const char *core);
int sg_blas_get_num_threads(void);
void sg_blas_set_num_threads(int n);
/* The bfloat16 GEMM that matmul uses now (SWIFTGRAD_BF16_GEMM: Note [bfloat16 GEMM kernel],
 * Sources/CBLAS/sg_bf16_gemm.c): 0 widen + sgemm, 1 the BLAS's cblas_sbgemm, 2 swiftgrad's
 * AVX512-BF16 kernel; its description; whether the CPU (and OS) run that kernel. */
int sg_bf16_gemm_choice(void);
const char *sg_bf16_gemm_name(int choice);
int sg_bf16_gemm_cpu_supported(void);

/* --- Row-sparse gradients and the sparse optimizer steps (Sources/SwiftGradC/Sparse.swift) ------
 * A row-sparse tensor has the dense shape and dtype; its data are row indices (int64, (nnz,))
 * and values ((nnz,) + trailing shape); dense ops see its dense value (Note [Row-sparse
 * gradients]); sg_tensor_data of one points at a placeholder, check sg_tensor_is_sparse first.
 * sg_optim_sgd_sparse_step stores the momentum buffer to keep in *new_buffer (NULL without). */
int sg_tensor_is_sparse(sg_tensor t);
int sg_sparse_is_coalesced(sg_tensor t);
int sg_sparse_indices(sg_tensor *out, sg_tensor t);
int sg_sparse_values(sg_tensor *out, sg_tensor t);
int sg_sparse_to_dense(sg_tensor *out, sg_tensor t);
int sg_sparse_coalesce(sg_tensor *out, sg_tensor t);
int sg_sparse_rows(sg_tensor *out, sg_tensor indices, sg_tensor values, int64_t row_count);
int sg_optim_sgd_sparse_step(sg_tensor *new_buffer, sg_tensor param, sg_tensor grad, sg_tensor buffer_or_null,
                             double lr, double momentum, double dampening, double weight_decay, int nesterov,
                             int maximize);
int sg_optim_adagrad_step(sg_tensor param, sg_tensor grad, sg_tensor state_sum, int64_t step, double lr,
                          double lr_decay, double weight_decay, double eps, int maximize);
int sg_optim_sparse_adam_step(sg_tensor param, sg_tensor grad, sg_tensor exp_avg, sg_tensor exp_avg_sq, int64_t step,
                              double lr, double beta1, double beta2, double eps, int maximize);

/* --- Batching (vmap; Sources/SwiftGradC/Batching.swift, Note [Batching levels]) -------------
 * A level from sg_vmap_new_level is opened with sg_vmap_push (size examples; randomness 0 error,
 * 1 different, 2 same) and closed with sg_vmap_pop. sg_vmap_make_batched gives the logical
 * tensor of x mapped over `axis`; sg_vmap_exit the physical result with the batch axis at
 * out_axis (has_out_axis 0: out_axes None). sg_vmap_level: newest batching level of x, or -1. */
int64_t sg_vmap_new_level(void);
int sg_vmap_push(int64_t level, int64_t size, int randomness);
void sg_vmap_pop(void);
int sg_vmap_make_batched(sg_tensor *out, sg_tensor x, int64_t axis, int64_t level);
int sg_vmap_exit(sg_tensor *out, sg_tensor x, int64_t level, int64_t size, int64_t out_axis, int has_out_axis);
int64_t sg_vmap_level(sg_tensor x);

#ifdef __cplusplus
}
#endif
#endif
