//! `GET /status`: facts about the server an operator must see, starting with whether CPEs
//! have to authenticate.

use axum::Json;
use axum::extract::State;
use serde_json::{Value as JsonValue, json};

use super::ApiState;

/// `GET /status`: `{"cpe_auth": "open" | "global" | "per-device", "cpe_auth_realm": …}`.
pub(crate) async fn get(State(state): State<ApiState>) -> Json<JsonValue> {
    Json(json!({
        "cpe_auth": state.cpe_auth.mode().as_str(),
        "cpe_auth_realm": state.cpe_auth.realm(),
    }))
}
