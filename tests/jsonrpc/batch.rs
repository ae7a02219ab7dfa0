//! Batches and notifications as JSON-RPC 2.0 defines them, on every surface.

use serde_json::{json, Value};

use crate::common::Surface;
use crate::server::{TestDaemon, WAIT};
use crate::test_methods::{ENTERED, RELEASE};

fn notification(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "method": method, "params": params})
}

#[tokio::test]
async fn a_mixed_batch_answers_each_call_in_order_and_no_notification() {
    let daemon = TestDaemon::start().await;
    let client = &daemon.jsonrpc;
    for surface in Surface::ALL {
        let batch = json!([
            {"jsonrpc": "2.0", "method": "version", "id": 1},
            42,
            {"jsonrpc": "2.0", "method": "no::such", "id": 3},
            {"jsonrpc": "2.0", "method": "lightning::nodes::get_info", "params": {"coin": 5}, "id": 4},
            notification("version", Value::Null),
            {"jsonrpc": "2.0", "method": "lightning::nodes::get_info", "params": {"coin": "KMD"}, "id": "five"},
        ]);
        let answer = client.exchange(surface, &batch).await.expect("answer");
        let answers = answer
            .as_array()
            .unwrap_or_else(|| panic!("an array: {answer}"));
        assert_eq!(
            answers.len(),
            5,
            "one answer per call, none for the notification: {answer}"
        );
        assert_eq!(answers[0]["id"], 1);
        assert!(answers[0]["result"]["result"].is_string(), "{}", answers[0]);
        assert_eq!(answers[1]["id"], Value::Null);
        assert_eq!(answers[1]["error"]["code"], -32600);
        assert_eq!(answers[2]["id"], 3);
        assert_eq!(answers[2]["error"]["code"], -32601);
        assert_eq!(answers[3]["id"], 4);
        assert_eq!(answers[3]["error"]["code"], -32602);
        assert_eq!(answers[3]["error"]["data"]["error_type"], "InvalidRequest");
        assert_eq!(answers[4]["id"], "five");
        assert_eq!(answers[4]["error"]["code"], -10404);
    }
    daemon.stop().await;
}

#[tokio::test]
async fn an_empty_batch_is_one_invalid_request_error() {
    let daemon = TestDaemon::start().await;
    for surface in Surface::ALL {
        let answer = daemon
            .jsonrpc
            .exchange(surface, &json!([]))
            .await
            .expect("answer");
        assert!(answer.is_object(), "not an array: {answer}");
        assert_eq!(answer["error"]["code"], -32600, "{answer}");
        assert_eq!(answer["id"], Value::Null);
    }
    daemon.stop().await;
}

/// `test::rendezvous` returns only once two calls are inside it at the same time. The batch's
/// one call can therefore only be answered if the notification beside it is executed, and
/// executed concurrently.
#[tokio::test]
async fn notifications_in_a_batch_are_executed_concurrently_and_not_answered() {
    let daemon = TestDaemon::start().await;
    for surface in Surface::ALL {
        let batch = json!([
            notification("test::rendezvous", Value::Null),
            {"jsonrpc": "2.0", "method": "test::rendezvous", "id": 9},
        ]);
        let answer = tokio::time::timeout(WAIT, daemon.jsonrpc.exchange(surface, &batch))
            .await
            .unwrap_or_else(|_| {
                panic!("the notification did not run beside the call ({surface:?})")
            })
            .expect("answer");
        let answers = answer.as_array().expect("an array");
        assert_eq!(answers.len(), 1, "{answer}");
        assert_eq!(answers[0]["id"], 9);
        assert!(answers[0]["result"].is_boolean(), "{answer}");
    }
    daemon.stop().await;
}

#[tokio::test]
async fn a_lone_notification_is_executed_and_answered_with_nothing() {
    let daemon = TestDaemon::start().await;
    let client = &daemon.jsonrpc;
    for surface in Surface::ALL {
        // `test::hold` signals ENTERED when it runs, then waits for RELEASE.
        let sent = {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .exchange(surface, &notification("test::hold", Value::Null))
                    .await
            })
        };
        tokio::time::timeout(WAIT, ENTERED.notified())
            .await
            .unwrap_or_else(|_| panic!("the notification was not executed ({surface:?})"));
        RELEASE.notify_one();
        let answer = tokio::time::timeout(WAIT, sent)
            .await
            .expect("the exchange ends")
            .expect("task");
        assert_eq!(answer, None, "a notification gets no answer");
        // A batch of notifications only gets no answer either (HTTP: an empty body).
        let batch = json!([
            notification("version", Value::Null),
            notification("version", Value::Null),
        ]);
        assert_eq!(client.exchange(surface, &batch).await, None);
    }
    // On the socket, a notification followed by a call: the first answer is the call's.
    let mut socket = crate::common::jsonrpc::SocketConnection::connect(client.socket_path()).await;
    let call = client.request("version", Value::Null);
    socket
        .send(&format!("{}{}", notification("version", Value::Null), call))
        .await;
    assert_eq!(socket.receive().await["id"], call["id"]);
    daemon.stop().await;
}
