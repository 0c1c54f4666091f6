//! tidepool-math: being written.
