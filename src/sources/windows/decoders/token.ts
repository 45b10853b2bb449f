import { TOKEN_STATISTICS } from '../layouts.js';
import { luid, u32 } from './reader.js';

export interface TokenStatistics {
  /** TokenId: unique per token object, the same through every handle. */
  readonly tokenId: string;
  /** AuthenticationId: the logon session. */
  readonly logonId: string;
  /** 1 primary, 2 impersonation. */
  readonly tokenType: number;
}

export function decodeTokenStatistics(buf: Buffer, validLength: number): TokenStatistics {
  return {
    tokenId: luid(buf, validLength, TOKEN_STATISTICS.TokenId, 'TOKEN_STATISTICS.TokenId'),
    logonId: luid(buf, validLength, TOKEN_STATISTICS.AuthenticationId, 'TOKEN_STATISTICS.AuthenticationId'),
    tokenType: u32(buf, validLength, TOKEN_STATISTICS.TokenType, 'TOKEN_STATISTICS.TokenType'),
  };
}
