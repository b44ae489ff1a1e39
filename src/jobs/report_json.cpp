// The commands' JSON results (report_json.hpp), moved here from the CLI unchanged so the Python
// package prints the same document.
#include "hedgesim/jobs/report_json.hpp"

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hedgesim/backtest/market_data.hpp"
#include "hedgesim/backtest/utc_time.hpp"
#include "hedgesim/version.hpp"

namespace hedgesim {
namespace hs = hedgesim;

namespace {

nlohmann::json issues_json(const hs::DataIssues& d) {
  return {{"rows", d.rows},         {"kept", d.kept},         {"duplicates", d.duplicates},
          {"out_of_order", d.out_of_order}, {"misaligned", d.misaligned}, {"non_positive", d.non_positive},
          {"implausible", d.implausible}, {"gaps", d.gaps},         {"missing", d.missing},   {"outside", d.outside}};
}


nlohmann::json stats_json(const hs::CandidateStats& s, const hs::ObjectiveValue& v) {
  return {{"objective", v.value}, {"objective_se", v.se},   {"feasible", v.feasible},    {"cost_mean", s.cost_mean},
          {"cost_se", s.cost_se},  {"risk", s.risk},         {"risk_se", s.risk_se},       {"pnl_mean", s.pnl_mean},
          {"pnl_std", s.pnl_std},  {"trades_mean", s.trades_mean}, {"paths", s.paths}};
}

}  // namespace

/// The JSON fields every command's result starts with (docs/architecture.md, "Command line").
nlohmann::json run_info_json(const hs::RunInfo& info, const hs::RunSpec& spec, hs::Measure measure) {
  nlohmann::json j;
  j["hedgesim_version"] = HEDGESIM_VERSION;
  j["git_commit"] = HEDGESIM_GIT_COMMIT;
  j["backend"] = hs::to_string(info.backend.kind);
  j["device"] = info.backend.device;
  j["threads"] = info.backend.kind == hs::BackendKind::cpu ? info.backend.threads : 0;
  j["precision"] = hs::to_string(info.precision);
  j["model"] = hs::to_string(spec.model.type);
  j["measure"] = hs::to_string(measure);
  j["paths"] = info.paths;
  j["steps"] = info.steps;
  j["seed"] = info.seed;
  j["elapsed_s"] = info.elapsed_s;
  j["path_steps_per_s"] = info.path_steps_per_s;
  j["kernel_s"] = info.kernel_s;  // CUDA hedging kernel time (events); 0 on the CPU
  return j;
}

nlohmann::json price_json(const hs::RunSpec& spec, const hs::PriceReport& report) {
  nlohmann::json j = run_info_json(report, spec, hs::Measure::risk_neutral);
  j["options"] = nlohmann::json::array();
  for (const hs::OptionPrice& o : report.options) {
    j["options"].push_back({{"index", o.index},
                            {"type", hs::to_string(o.option.type)},
                            {"strike", o.option.strike},
                            {"expiry_days", o.option.expiry_days},
                            {"settlement", hs::to_string(o.option.settlement)},
                            {"mc_price", o.mc_price},
                            {"mc_stderr", o.mc_stderr},
                            {"analytic_price", o.analytic_price}});
  }
  return j;
}

nlohmann::json run_json(const hs::RunSpec& spec, const hs::RunReport& report) {
  nlohmann::json j = run_info_json(report, spec, spec.simulation.measure);
  j["premiums"] = report.premiums;
  j["policies"] = nlohmann::json::array();
  for (const hs::PolicyResult& r : report.policies) {
    nlohmann::json p;
    p["name"] = r.spec.name;
    p["type"] = hs::to_string(r.spec.type);
    p["pnl_mean"] = r.pnl.mean;
    p["pnl_mean_stderr"] = r.pnl.mean_stderr;
    p["pnl_std"] = r.pnl.std;
    p["pnl_skewness"] = r.pnl.skewness;
    p["pnl_excess_kurtosis"] = r.pnl.excess_kurtosis;
    p["pnl_var_95"] = r.pnl.var_95;
    p["pnl_es_95"] = r.pnl.es_95;
    p["pnl_var_99"] = r.pnl.var_99;
    p["pnl_es_99"] = r.pnl.es_99;
    nlohmann::json q = nlohmann::json::object();
    for (std::size_t i = 0; i < r.pnl.quantile_levels.size(); ++i)
      q[fmt::format("{:g}", r.pnl.quantile_levels[i])] = r.pnl.quantiles[i];
    p["pnl_quantiles"] = q;
    p["cost_mean"] = r.cost.mean;
    p["cost_std"] = r.cost.std;
    for (unsigned f = 0; f < report.path_fields; ++f) {
      const auto field = static_cast<hs::PathField>(f);
      if (field == hs::PathField::pnl || field == hs::PathField::cost) continue;  // full summaries above
      p[std::string(hs::to_string(field)) + "_mean"] = r.fields[f].mean();
    }
    j["policies"].push_back(p);
  }
  return j;
}

nlohmann::json backtest_json(const hs::RunSpec& spec, const hs::BacktestReport& rep) {
  nlohmann::json j = run_json(spec, rep.history);
  j.erase("premiums");
  j["command"] = "backtest";
  j["windows"] = rep.history.paths;
  j["stride_hours"] = rep.stride_hours;
  j["vol_source"] = hs::to_string(spec.backtest.vol);
  j["on_bad_data"] = hs::to_string(spec.backtest.on_bad_data);
  j["data"] = {{"prices_file", rep.prices_file},
               {"first_utc", hs::format_utc(rep.data_first)},
               {"last_utc", hs::format_utc(rep.data_last)},
               {"prices", issues_json(rep.price_issues)}};
  if (!rep.funding_file.empty()) {
    j["data"]["funding_file"] = rep.funding_file;
    j["data"]["funding"] = issues_json(rep.funding_issues);
  }
  if (!rep.gas_file.empty()) {
    j["data"]["gas_file"] = rep.gas_file;
    j["data"]["gas"] = issues_json(rep.gas_issues);
  }
  j["window_candidates"] = rep.candidates;
  j["windows_skipped"] = {{"gap", rep.skipped_gap}, {"funding", rep.skipped_funding}, {"gas", rep.skipped_gas}};
  std::vector<std::string> starts;
  for (const std::int64_t t : rep.window_start) starts.push_back(hs::format_utc(t));
  j["per_window"] = {{"start_utc", starts}, {"start_spot", rep.start_spot}, {"end_spot", rep.end_spot},
                     {"vol", rep.vol}};
  for (std::size_t p = 0; p < rep.history.policies.size(); ++p) {
    const hs::PolicyResult& r = rep.history.policies[p];
    nlohmann::json& jp = j["policies"][p];
    jp["per_window"] = {{"pnl", r.per_path[static_cast<unsigned>(hs::PathField::pnl)]},
                        {"pnl_scaled", rep.pnl_scaled[p]},
                        {"cost", r.per_path[static_cast<unsigned>(hs::PathField::cost)]},
                        {"funding", r.per_path[static_cast<unsigned>(hs::PathField::funding)]},
                        {"trades", r.per_path[static_cast<unsigned>(hs::PathField::trades)]}};
    if (!rep.model_checked) continue;
    const hs::ModelCheck& c = rep.checks[p];
    nlohmann::json q = nlohmann::json::array();
    for (std::size_t i = 0; i < c.levels.size(); ++i)
      q.push_back({{"level", c.levels[i]}, {"backtest", c.backtest_quantiles[i]}, {"model", c.model_quantiles[i]}});
    jp["model_check"] = {{"quantiles", q},
                         {"backtest_mean", c.backtest_mean},
                         {"backtest_std", c.backtest_std},
                         {"model_mean", c.model_mean},
                         {"model_std", c.model_std},
                         {"ks_statistic", c.ks_statistic},
                         {"ks_p_value", c.ks_p_value},
                         {"ks_p_value_independent", c.ks_p_value_independent},
                         {"effective_windows", c.effective_windows}};
  }
  if (rep.model_checked) j["model_check"] = run_info_json(rep.model, spec, spec.simulation.measure);
  return j;
}

nlohmann::json optimise_json(const hs::RunSpec& spec, const hs::OptimiseReport& report) {
  const hs::OptimiseSpec& o = spec.optimise;
  nlohmann::json j = run_info_json(report, spec, spec.simulation.measure);
  j["objective"] = {{"form", o.budget_form ? "budget" : "lambda"},
                    {"risk", hs::to_string(o.risk)},
                    {"level", o.level},
                    {"risk_aversion", o.risk_aversion},
                    {"lambda", o.lambda},
                    {"cost_budget", o.cost_budget}};
  j["oos_seed"] = report.oos_seed;
  j["oos_paths"] = report.oos_paths;
  j["passes"] = report.passes;
  j["candidates"] = report.unique_candidates;
  j["evaluations"] = report.rows.size();
  j["candidates_per_s"] = report.candidates_per_s;
  j["oos_elapsed_s"] = report.oos_elapsed_s;
  j["warnings"] = report.warnings;
  j["frontier"] = nlohmann::json::array();
  for (std::size_t i = 0; i < report.searches.size(); ++i) {
    const hs::SearchRecord& s = report.searches[i];
    const hs::CandidateRow& b = report.rows[s.best_row];
    const hs::FamilySpec& f = o.families[s.family];
    nlohmann::json params = nlohmann::json::object();
    for (std::size_t k = 0; k < f.free.size(); ++k) params[f.free[k].name] = b.values[k];
    j["frontier"].push_back({{"family", f.name},
                             {"type", hs::to_string(f.base.type)},
                             {"level", s.level},
                             {"chosen_level", s.chosen_level},
                             {"method", s.method},
                             {"evaluations", s.evaluations},
                             {"converged", s.converged},
                             {"parameters", params},
                             {"in_sample", stats_json(report.in_sample[b.stats], s.objective_in)},
                             {"out_of_sample", stats_json(s.out_of_sample, s.objective_out)},
                             {"difference_z", s.difference_z}});
  }
  j["optimum"] = j["frontier"][report.chosen];
  if (const ChoiceCheck& c = report.choice; c.has_runner_up) {
    j["runner_up"] = {{"family", o.families[report.searches[c.runner_up].family].name},
                      {"difference", c.difference},
                      {"difference_se", c.difference_se},
                      {"distinguishable", c.distinguishable},
                      {"paths_needed", c.paths_needed}};
  }
  return j;
}

}  // namespace hedgesim
