//! `interop-rmqtt TCP_PORT WS_PORT USER PASSWORD`: an rmqtt broker on 127.0.0.1 for the broker
//! matrix (`cargo xtask interop`). Anonymous clients are allowed; a client that gives a user
//! name must give USER and PASSWORD. Prints `RMQTT_READY` once both listeners are bound.

use async_trait::async_trait;
use rmqtt::context::ServerContext;
use rmqtt::hook::{Handler, HookResult, Parameter, ReturnType, Type};
use rmqtt::net::Builder;
use rmqtt::server::MqttServer;
use rmqtt::types::AuthResult;

struct OneUser {
    user: String,
    password: String,
}

#[async_trait]
impl Handler for OneUser {
    async fn hook(&self, param: &Parameter, acc: Option<HookResult>) -> ReturnType {
        let Parameter::ClientAuthenticate(info) = param else {
            return (true, acc);
        };
        let user_ok = info.username().map(|u| &u[..]) == Some(self.user.as_str());
        let password_ok = info.password().map(|p| &p[..]) == Some(self.password.as_bytes());
        let result = if user_ok && password_ok {
            AuthResult::Allow(false, None)
        } else {
            AuthResult::BadUsernameOrPassword
        };
        (false, Some(HookResult::AuthResult(result)))
    }
}

#[tokio::main]
async fn main() -> rmqtt::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [tcp, ws, user, password] = <[String; 4]>::try_from(args)
        .map_err(|_| rmqtt::Error::msg("usage: interop-rmqtt TCP_PORT WS_PORT USER PASSWORD"))?;
    let scx = ServerContext::new().build().await;
    let register = scx.extends.hook_mgr().register();
    register
        .add(
            Type::ClientAuthenticate,
            Box::new(OneUser { user, password }),
        )
        .await;
    register.start().await;
    let tcp = Builder::new()
        .name("tcp")
        .laddr(format!("127.0.0.1:{tcp}").parse()?)
        .bind()?
        .tcp()?;
    let ws = Builder::new()
        .name("ws")
        .laddr(format!("127.0.0.1:{ws}").parse()?)
        .bind()?
        .ws()?;
    println!("RMQTT_READY");
    MqttServer::new(scx)
        .listener(tcp)
        .listener(ws)
        .build()
        .run()
        .await?;
    Ok(())
}
