//! tidepool-activation: being written.
