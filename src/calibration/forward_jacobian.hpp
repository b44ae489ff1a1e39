#pragma once
// The Jacobian both least-squares fits give Eigen's Levenberg–Marquardt (fit.cpp, svi_fit.cpp): forward
// differences of the residuals with a fixed step in the unconstrained variables, one column at a time.
#include <Eigen/Core>

namespace hedgesim::detail {

/// jac = (f(y + h·e_i) − f(y)) / h column by column, f an Eigen::DenseFunctor; returns 0 (Eigen's "ok").
template <class F>
int forward_jacobian(const F& f, const typename F::InputType& y, typename F::JacobianType& jac, double h) {
  typename F::ValueType r0(f.values()), r1(f.values());
  f(y, r0);
  typename F::InputType yh = y;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    yh[i] = y[i] + h;
    f(yh, r1);
    jac.col(i) = (r1 - r0) / h;
    yh[i] = y[i];
  }
  return 0;
}

}  // namespace hedgesim::detail
