#pragma once
// The `units` attribute of every HDF5 dataset is one of these strings (docs/hdf5.md "Units"), so a
// program can map it without parsing prose; what a value means beyond its unit goes in the dataset's
// `description` attribute.
#include <algorithm>
#include <array>
#include <string_view>

namespace hedgesim {

inline constexpr std::array<std::string_view, 14> kUnits = {
    "USD",           // US dollars
    "USD^2",         // a variance of USD amounts
    "coin",          // units of the underlying (BTC, ETH)
    "coin/USD",      // a gamma: coins of delta per USD of spot
    "count",         // a number of things (trades, rows, options)
    "1",             // dimensionless: ratios, z-scores, flags (0/1), implied vols as decimals
    "index",         // a 0-based position in another dataset or list (the description names it)
    "s",             // seconds
    "hours",         //
    "days",          //
    "years",         //
    "1/year",        // per year: a variance rate, a rate
    "1/sqrt(year)",  // a volatility
    "mixed",         // differs by row or column (the description says how)
};

constexpr bool is_unit(std::string_view u) { return std::find(kUnits.begin(), kUnits.end(), u) != kUnits.end(); }

}  // namespace hedgesim
